"""The channel list: health, disconnect / reconnect, Send test email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels_cfg.models import EmailChannel, ForwardingConfirmation
from channels_cfg.services.channels import channel_mark_inbound, channel_test_email_received
from helpdesk import mail_ids as message_ids
from helpdesk.mail_ids import LOOP_HEADER
from tests.channels_cfg.conftest import HTMX
from tests.factories import (
    AdminFactory,
    AgentFactory,
    EmailChannelFactory,
    ForwardingAddressFactory,
    InboundEmailFactory,
)

pytestmark = pytest.mark.django_db


def test_list_shows_name_address_from_status_and_rejected_count(
    admin_client: Client, admin_agent, channel
) -> None:
    InboundEmailFactory(channel=channel, workspace=channel.workspace, status="rejected")
    InboundEmailFactory(channel=channel, workspace=channel.workspace, status="rejected")
    InboundEmailFactory(channel=channel, workspace=channel.workspace, status="accepted")
    EmailChannelFactory(workspace=channel.workspace, status="draft", company_name="Hidden draft")
    page = admin_client.get(reverse("channels_cfg:channel_list")).content.decode()
    assert "Acme support" in page
    assert f'data-copy="{channel.forwarding_address.address}"' in page
    assert (
        f"{admin_agent.full_name} at Acme &lt;acme-support@{channel.workspace.hosted_domain}&gt;"
        in page
    )
    assert "Connected" in page
    assert "No mail yet" in page
    assert f'href="/settings/rejected/?channel={channel.pk}">2 rejected</a>' in page
    assert "Hidden draft" not in page


def test_list_shows_a_pending_forwarding_confirmation(admin_client: Client, channel) -> None:
    ForwardingConfirmation.objects.create(
        channel=channel,
        provider="gmail",
        requested_by="help@acme.example",
        code="123456789",
        confirm_url="https://mail-settings.google.com/mail/vf-xyz",
        received_at=timezone.now(),
    )
    page = admin_client.get(reverse("channels_cfg:channel_list")).content.decode()
    assert "123456789" in page
    assert 'href="https://mail-settings.google.com/mail/vf-xyz"' in page


def test_list_is_admins_only_and_per_workspace(client: Client, channel) -> None:
    url = reverse("channels_cfg:channel_list")
    assert client.get(url).url.startswith(reverse("login"))
    client.force_login(AgentFactory(workspace=channel.workspace).user)
    assert client.get(url).status_code == 403
    client.force_login(AdminFactory().user)
    assert channel.forwarding_address.address not in client.get(url).content.decode()


def test_disconnect_and_reconnect(admin_client: Client, channel) -> None:
    admin_client.post(reverse("channels_cfg:disconnect", args=[channel.pk]))
    channel.refresh_from_db()
    assert channel.status == EmailChannel.Status.DISCONNECTED
    page = admin_client.get(reverse("channels_cfg:channel_list")).content.decode()
    assert "Disconnected" in page and "Reconnect" in page
    admin_client.post(reverse("channels_cfg:reconnect", args=[channel.pk]))
    channel.refresh_from_db()
    assert channel.status == EmailChannel.Status.CONNECTED


def test_disconnect_needs_post_and_an_admin_of_the_workspace(client: Client, channel) -> None:
    url = reverse("channels_cfg:disconnect", args=[channel.pk])
    client.force_login(AdminFactory().user)
    assert client.post(url).status_code == 404
    client.force_login(AgentFactory(workspace=channel.workspace).user)
    assert client.post(url).status_code == 403
    client.force_login(AdminFactory(workspace=channel.workspace).user)
    assert client.get(url).status_code == 405
    channel.refresh_from_db()
    assert channel.status == EmailChannel.Status.CONNECTED


def test_send_test_email_mails_the_team_address_and_reports_its_return(
    admin_client: Client, admin_agent, channel, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("channels_cfg:test_email", args=[channel.pk]), follow=True
        )
    assert b"Test email sent to help@acme.example" in response.content
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["help@acme.example"]
    assert message.from_email == (
        f"{admin_agent.full_name} at Acme <acme-support@{channel.workspace.hosted_domain}>"
    )
    assert LOOP_HEADER in message.extra_headers
    token = message_ids.test_token_from_message_id(message.extra_headers["Message-ID"])
    channel.refresh_from_db()
    assert token == channel.test_email_token
    assert channel.test_email_received_at is None
    status_url = reverse("channels_cfg:test_email_status", args=[channel.pk])
    pending = admin_client.get(status_url, **HTMX).content.decode()
    assert "not back yet" in pending and 'hx-trigger="every 5s"' in pending

    # The pipeline recognises the returning mail by its Message-ID and records it.
    assert channel_test_email_received(token=token, at=timezone.now())
    back = admin_client.get(status_url, **HTMX).content.decode()
    assert "Test email came back" in back and "every 5s" not in back


def test_send_test_email_without_a_team_address_says_what_to_do(
    admin_client: Client, workspace
) -> None:
    channel = ForwardingAddressFactory(channel__workspace=workspace).channel
    response = admin_client.post(reverse("channels_cfg:test_email", args=[channel.pk]), follow=True)
    assert b"Enter your team&#x27;s email address first" in response.content
    assert mail.outbox == []


def test_send_test_email_falls_back_to_the_mailbox_that_asked_to_forward(
    admin_client: Client, workspace, django_capture_on_commit_callbacks
) -> None:
    channel = ForwardingAddressFactory(channel__workspace=workspace).channel
    ForwardingConfirmation.objects.create(
        channel=channel,
        provider="gmail",
        requested_by="team@acme.example",
        received_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("channels_cfg:test_email", args=[channel.pk]))
    assert mail.outbox[0].to == ["team@acme.example"]


def test_a_confirmation_is_no_longer_pending_once_forwarding_is_seen_working(
    admin_client: Client, channel
) -> None:
    received = timezone.now() - timedelta(hours=1)
    ForwardingConfirmation.objects.create(
        channel=channel, provider="gmail", code="555000111", received_at=received
    )
    url = reverse("channels_cfg:channel_list")
    # The confirmation mail itself counts as inbound mail: still pending.
    channel_mark_inbound(channel_id=channel.pk, at=received + timedelta(seconds=5))
    assert b"555000111" in admin_client.get(url).content
    channel_mark_inbound(channel_id=channel.pk, at=received + timedelta(minutes=30))
    assert b"555000111" not in admin_client.get(url).content


def test_a_returned_test_email_also_ends_the_pending_confirmation(
    admin_client: Client, channel
) -> None:
    received = timezone.now() - timedelta(hours=1)
    ForwardingConfirmation.objects.create(
        channel=channel, provider="gmail", code="555000222", received_at=received
    )
    EmailChannel.objects.filter(pk=channel.pk).update(
        test_email_received_at=received + timedelta(minutes=10)
    )
    assert b"555000222" not in admin_client.get(reverse("channels_cfg:channel_list")).content


def test_disconnect_asks_first_even_without_javascript(admin_client: Client, channel) -> None:
    page = admin_client.get(reverse("channels_cfg:channel_list")).content.decode()
    assert f'id="disconnect-{channel.pk}"' in page
    assert (
        f'id="disconnect-{channel.pk}" class="dialog" aria-labelledby="disconnect-title-{channel.pk}" data-modal >'
        in page
    )
    asked = admin_client.get(reverse("channels_cfg:channel_list") + f"?disconnect={channel.pk}")
    assert "data-modal open" in asked.content.decode()
    assert "is refused until you reconnect" in asked.content.decode()
    channel.refresh_from_db()
    assert channel.status == EmailChannel.Status.CONNECTED


def test_the_list_costs_the_same_queries_for_one_channel_or_many(
    admin_client: Client, workspace, django_assert_num_queries
) -> None:
    def add_channel() -> None:
        channel = ForwardingAddressFactory(channel__workspace=workspace).channel
        ForwardingConfirmation.objects.create(
            channel=channel, provider="gmail", code="1", received_at=timezone.now()
        )

    add_channel()
    url = reverse("channels_cfg:channel_list")
    admin_client.get(url)  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        admin_client.get(url)
    for _ in range(3):
        add_channel()
    with django_assert_num_queries(len(one.captured_queries)):
        response = admin_client.get(url)
    assert response.content.decode().count("Pending confirmation") == 4


def test_a_test_email_that_never_returns_is_reported_and_polling_stops(
    admin_client: Client, channel
) -> None:
    EmailChannel.objects.filter(pk=channel.pk).update(
        test_email_token="tok", test_email_sent_at=timezone.now() - timedelta(minutes=16)
    )
    status = admin_client.get(
        reverse("channels_cfg:test_email_status", args=[channel.pk]), **HTMX
    ).content.decode()
    assert "Test email did not come back" in status
    assert "help@acme.example forwards to this address" in status
    assert "every 5s" not in status


@pytest.mark.parametrize(
    ("connected_days_ago", "last_mail_days_ago", "test_back_days_ago", "quiet"),
    [
        (30, 8, None, True),  # mail stopped a week ago
        (30, 2, None, False),  # recent mail
        (30, 8, 1, False),  # a test email came back yesterday: the forward works
        (3, None, None, True),  # connected days ago, never a single mail
        (0, None, None, False),  # connected today: give it time
    ],
)
def test_a_channel_that_went_quiet_says_so_and_how_to_check(
    admin_client: Client, channel, connected_days_ago, last_mail_days_ago, test_back_days_ago, quiet
) -> None:
    now = timezone.now()

    def days_ago(days):
        return None if days is None else now - timedelta(days=days, minutes=1)

    EmailChannel.objects.filter(pk=channel.pk).update(
        status="connected",
        connected_at=days_ago(connected_days_ago),
        last_inbound_at=days_ago(last_mail_days_ago),
        test_email_received_at=days_ago(test_back_days_ago),
    )
    page = admin_client.get(reverse("channels_cfg:channel_list")).content.decode()
    assert ("data-quiet-warning" in page) is quiet
    if quiet:
        assert "Send test email</strong> to check that help@acme.example still forwards" in page
