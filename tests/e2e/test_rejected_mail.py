"""An admin finds a rejected mail, processes it anyway, and blocks another sender."""

from __future__ import annotations

import pytest

from inbox import tasks as inbound_tasks
from inbox.inbound.pipeline import process_inbound_email
from inbox.models import BlockedSender, InboundEmail, Message
from tests.e2e.conftest import login
from tests.factories import (
    AdminFactory,
    BlockedSenderFactory,
    EmailChannelFactory,
    ForwardingAddressFactory,
)
from tests.inbox.inbound.conftest import fixture_bytes, store_inbound

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class RunsPipeline:
    """Stands in for intake's Celery task (eager): runs the pipeline in the server process."""

    @staticmethod
    def delay(inbound_email_id: int) -> None:
        process_inbound_email(inbound_email_id)


def test_admin_processes_a_blocked_mail_anyway_and_blocks_a_spammer(
    page, live_server, screenshot_dir, monkeypatch
) -> None:
    monkeypatch.setattr(inbound_tasks, "process_inbound", RunsPipeline, raising=False)
    admin = AdminFactory()
    channel = EmailChannelFactory(workspace=admin.workspace)
    address = ForwardingAddressFactory(channel=channel).address
    BlockedSenderFactory(workspace=admin.workspace, value="customer.example")
    blocked = store_inbound(fixture_bytes("plain.eml"), address)
    spam = store_inbound(
        fixture_bytes("display_name_spoof.eml"),
        address,
        esp_verdicts={"spam_detected": True, "spam_score": 9.0, "verdict_source": "esp"},
    )
    for row in (blocked, spam):
        process_inbound_email(row.pk)

    login(page, live_server, admin.user.username, "correct horse battery staple")
    page.goto(f"{live_server.url}/settings/rejected/")
    assert page.get_by_role("heading", name="Rejected mail").is_visible()
    blocked_row = page.locator(f'tr[data-row="{blocked.pk}"]')
    assert "is on the blocked senders list" in blocked_row.inner_text()
    spam_row = page.locator(f'tr[data-row="{spam.pk}"]')
    assert "marked it as spam" in spam_row.inner_text()
    page.screenshot(path=str(screenshot_dir / "rejected-mail.png"))

    blocked_row.get_by_role("button", name="Process anyway").click()
    page.get_by_text("The message is being processed again.").wait_for()
    blocked.refresh_from_db()
    assert blocked.status == InboundEmail.Status.ACCEPTED
    assert Message.objects.filter(inbound=blocked).exists()
    assert page.locator(f'tr[data-row="{blocked.pk}"]').count() == 0

    page.locator(f'tr[data-row="{spam.pk}"]').get_by_role("button", name="Block sender").click()
    page.get_by_text("Mail from x@evil.example will be rejected.").wait_for()
    assert BlockedSender.objects.filter(workspace=admin.workspace, value="x@evil.example").exists()
