"""The Rejected mail page: admins only, reasons in words, filter, pages, and its two actions."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from inbox import tasks as inbound_tasks
from inbox.inbound.pipeline import process_inbound_email
from inbox.models import BlockedSender, InboundEmail
from tests.factories import BlockedSenderFactory, EmailChannelFactory, ForwardingAddressFactory
from tests.inbox.inbound.conftest import fixture_bytes, store_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(channel):
    """The inbox's channel, reachable at a forwarding address."""
    ForwardingAddressFactory(channel=channel)
    return channel


@pytest.fixture
def deliver(channel):
    """Store raw mail (bytes or a fixture name) for the channel, run the pipeline, reload it."""

    def deliver(raw, *, to=None, **kwargs):
        if isinstance(raw, str):
            raw = fixture_bytes(raw)
        row = store_inbound(raw, to or channel.forwarding_address.address, **kwargs)
        process_inbound_email(row.pk)
        row.refresh_from_db()
        return row

    return deliver


class RunsPipeline:
    """Stands in for intake's Celery task: records the call and runs the pipeline in-process."""

    calls: list[int] = []

    @classmethod
    def delay(cls, inbound_email_id: int) -> None:
        cls.calls.append(inbound_email_id)
        process_inbound_email(inbound_email_id)


@pytest.fixture
def blocked_row(deliver, channel):
    BlockedSenderFactory(workspace=channel.workspace, value="customer.example")
    return deliver("plain.eml")


def test_agents_cannot_see_the_page(agent_client):
    assert agent_client.get("/settings/rejected/").status_code == 403


def test_page_lists_when_recipient_sender_subject_and_reason(admin_client, blocked_row):
    page = admin_client.get("/settings/rejected/").content.decode()
    assert blocked_row.envelope_recipient in page
    assert "Carla Customer" in page and "Printer is on fire" in page
    assert "is on the blocked senders list" in page


def test_rows_of_other_workspaces_are_not_listed(admin_client, channel):
    other = EmailChannelFactory()
    ForwardingAddressFactory(channel=other)
    InboundEmail.objects.create(
        esp="t", raw=b"x", size=1, sha256="1" * 64, idempotency_key="2" * 64,
        status="rejected", reason_detail="Secret reason", workspace=other.workspace, channel=other,
    )  # fmt: skip
    assert "Secret reason" not in admin_client.get("/settings/rejected/").content.decode()


def test_filter_by_channel(admin_client, deliver, channel, workspace):
    second = EmailChannelFactory(workspace=workspace)
    ForwardingAddressFactory(channel=second)
    BlockedSenderFactory(workspace=workspace, value="customer.example")
    deliver("plain.eml")
    deliver(
        fixture_bytes("plain.eml").replace(b"on fire", b"in orbit"),
        to=second.forwarding_address.address,
    )
    page = admin_client.get(f"/settings/rejected/?channel={second.pk}").content.decode()
    assert "in orbit" in page and "Printer is on fire" not in page


def test_pagination(admin_client, channel, workspace):
    for n in range(55):
        InboundEmail.objects.create(
            esp="t", raw=b"x", size=1, sha256=f"{n:064x}", idempotency_key=f"{n:064x}",
            status="rejected", subject=f"subject-{n:02d}", workspace=workspace, channel=channel,
        )  # fmt: skip
    first = admin_client.get("/settings/rejected/").content.decode()
    second = admin_client.get("/settings/rejected/?page=2").content.decode()
    assert "Page 1 of 2" in first
    assert first.count("<tr data-row") == 50 and second.count("<tr data-row") == 5


def test_process_anyway_reruns_skipping_the_failed_check(
    admin_client, blocked_row, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(inbound_tasks, "process_inbound", RunsPipeline, raising=False)
    RunsPipeline.calls = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(f"/settings/rejected/{blocked_row.pk}/process/")
    assert response.status_code == 302 and len(callbacks) == 1
    assert RunsPipeline.calls == [blocked_row.pk]
    blocked_row.refresh_from_db()
    assert blocked_row.status == "accepted" and blocked_row.skip_checks == ["blocked_sender"]


class BrokerDown:
    """Stands in for the task while Redis is unreachable: queueing raises, as kombu does."""

    @classmethod
    def delay(cls, inbound_email_id: int) -> None:
        raise OperationalError("Error 111 connecting to localhost:6379. Connection refused.")


def test_process_anyway_with_the_broker_down_leaves_the_row_for_the_sweeper(
    admin_client, blocked_row, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(inbound_tasks, "process_inbound", BrokerDown, raising=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(f"/settings/rejected/{blocked_row.pk}/process/", follow=True)
    assert response.status_code == 200 and len(callbacks) == 1
    assert "The message is being processed again." in response.content.decode()
    blocked_row.refresh_from_db()
    assert blocked_row.status == "received" and blocked_row.skip_checks == ["blocked_sender"]


def test_process_anyway_is_not_offered_for_an_unknown_recipient(admin_client, deliver, channel):
    row = deliver("plain.eml", to="nobody@inbox.localhost")
    InboundEmail.objects.filter(pk=row.pk).update(workspace=channel.workspace)
    admin_client.post(f"/settings/rejected/{row.pk}/process/")
    row.refresh_from_db()
    assert row.status == "rejected" and row.skip_checks == []


def test_process_anyway_needs_post(admin_client, blocked_row):
    assert admin_client.get(f"/settings/rejected/{blocked_row.pk}/process/").status_code == 405


def test_block_sender_adds_the_address_or_the_domain(admin_client, deliver, channel, workspace):
    row = deliver("plain.eml", esp_verdicts={"spam_detected": True, "verdict_source": "esp"})
    assert row.reason_code == "spam"
    admin_client.post(f"/settings/rejected/{row.pk}/block/")
    admin_client.post(f"/settings/rejected/{row.pk}/block/", {"scope": "domain"})
    values = set(BlockedSender.objects.filter(workspace=workspace).values_list("value", flat=True))
    assert values == {"carla@customer.example", "customer.example"}


def test_block_sender_refuses_a_shared_mail_domain_and_says_why(admin_client, workspace, channel):
    row = InboundEmail.objects.create(
        esp="t", raw=b"x", size=1, sha256="5" * 64, idempotency_key="6" * 64, status="rejected",
        reason_code="spam", from_header="Someone <someone@gmail.com>", workspace=workspace,
        channel=channel,
    )  # fmt: skip
    response = admin_client.post(
        f"/settings/rejected/{row.pk}/block/", {"scope": "domain"}, follow=True
    )
    assert not BlockedSender.objects.filter(value__iexact="gmail.com").exists()
    assert "gmail.com is shared by many unrelated people" in response.content.decode()
    admin_client.post(f"/settings/rejected/{row.pk}/block/")
    assert list(BlockedSender.objects.values_list("value", flat=True)) == ["someone@gmail.com"]


def test_block_sender_requires_csrf(admin_agent, blocked_row):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_agent.user)
    assert client.post(f"/settings/rejected/{blocked_row.pk}/block/").status_code == 403


def test_actions_on_another_workspaces_row_are_404(admin_client):
    other = EmailChannelFactory()
    row = InboundEmail.objects.create(
        esp="t", raw=b"From: a@b.example\n\nx", size=1, sha256="3" * 64, idempotency_key="4" * 64,
        status="rejected", reason_code="spam", from_header="a@b.example",
        workspace=other.workspace, channel=other,
    )  # fmt: skip
    assert admin_client.post(f"/settings/rejected/{row.pk}/process/").status_code == 404
    assert admin_client.post(f"/settings/rejected/{row.pk}/block/").status_code == 404
    assert not BlockedSender.objects.exists()
