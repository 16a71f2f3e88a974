"""Verifying a custom from address from the wizard: step 1's buttons and the mailed link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels_cfg.models import EmailChannel, FromAddressVerification
from channels_cfg.services.channels import channel_connect
from channels_cfg.services.verification import from_address_verify
from helpdesk.mail_ids import LOOP_HEADER, loop_header_value
from helpdesk.refusals import Refused
from tests.channels_cfg.conftest import HTMX, from_data, link_token, send, use_custom_address

pytestmark = pytest.mark.django_db


def post_send_verification(client: Client, channel: EmailChannel):
    """Press Send verification message on step 1 for me@acme.example (htmx)."""
    return client.post(
        reverse("channels_cfg:connect_from_send_verification", args=[channel.pk]),
        {
            "from_name_mode": "company",
            "company_name": "Acme",
            "from_address_mode": "custom",
            "custom_from_address": "me@acme.example",
        },
        **HTMX,
    )


def test_send_verification_from_the_step_mails_a_link_and_shows_pending(
    admin_client: Client, draft, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_send_verification(admin_client, draft)
    content = response.content.decode()
    assert "Verification message sent to me@acme.example." in content
    assert "Pending" in content
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["me@acme.example"]
    assert message.extra_headers[LOOP_HEADER] == loop_header_value()
    assert "http://127.0.0.1:8000/settings/channels/verify-from-address/" in message.body
    row = FromAddressVerification.objects.get(channel=draft)
    # Only a hash of the token is stored, never the token itself.
    assert link_token(message) not in row.token_hash
    assert row.expires_at - row.sent_at == timedelta(hours=24)


def test_a_valid_link_verifies_once_and_then_the_wizard_can_finish(
    client: Client, draft, django_capture_on_commit_callbacks
) -> None:
    use_custom_address(draft)
    token = send(draft, timezone.now(), django_capture_on_commit_callbacks)
    url = reverse("channels_cfg:verify_from_address", args=[token])

    # Opening the link (anyone, not logged in, or a mail scanner) only shows a button.
    shown = client.get(url)
    assert shown.status_code == 200
    assert b"Verify address" in shown.content
    draft.refresh_from_db()
    assert draft.from_address_verified_at is None

    verified = client.post(url)
    assert verified.status_code == 200
    assert b"me@acme.example" in verified.content and b"is verified" in verified.content
    draft.refresh_from_db()
    assert draft.from_address_verified_at is not None
    assert channel_connect(channel=draft, now=timezone.now()).status == "connected"

    reused = client.post(url)
    assert reused.status_code == 400
    assert b"already used" in reused.content


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + "xx", lambda t: "garbage", lambda t: ""])
def test_a_tampered_link_is_refused(
    client: Client, draft, django_capture_on_commit_callbacks, mangle
) -> None:
    use_custom_address(draft)
    token = send(draft, timezone.now(), django_capture_on_commit_callbacks)
    bad = mangle(token)
    if bad:
        response = client.post(reverse("channels_cfg:verify_from_address", args=[bad]))
        assert response.status_code == 400
        assert b"not valid" in response.content
    with pytest.raises(Refused):
        from_address_verify(signed_token=bad, now=timezone.now())
    draft.refresh_from_db()
    assert draft.from_address_verified_at is None


def test_rate_limit_error_shows_next_to_the_field(
    admin_client: Client, draft, django_capture_on_commit_callbacks
) -> None:
    data = {
        "from_name_mode": "company",
        "company_name": "Acme",
        "from_address_mode": "custom",
        "custom_from_address": "me@acme.example",
    }
    url = reverse("channels_cfg:connect_from_send_verification", args=[draft.pk])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, data)
        response = admin_client.post(url, data)
    content = response.content.decode()
    assert 'id="id_custom_from_address-error"' in content
    assert "less than a minute ago" in content
    assert len(mail.outbox) == 1


class FlakyBackend(locmem.EmailBackend):
    """An ESP that is down for the first `failures` sends, then delivers to mail.outbox."""

    failures = 0
    attempts = 0

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        FlakyBackend.attempts += 1
        if FlakyBackend.attempts <= FlakyBackend.failures:
            raise ConnectionError("ESP unreachable")
        return super().send_messages(messages)


@pytest.mark.parametrize("failures", [1, 99])
def test_an_esp_outage_never_breaks_the_page_and_the_mail_is_retried(
    admin_client: Client, draft, django_capture_on_commit_callbacks, settings, failures
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.failures, FlakyBackend.attempts = failures, 0
    with django_capture_on_commit_callbacks(execute=True):
        response = post_send_verification(admin_client, draft)
    assert response.status_code == 200
    assert "Verification message sent to me@acme.example." in response.content.decode()
    if failures == 1:  # back after one failure: delivered by the retry
        assert FlakyBackend.attempts == 2 and [m.to for m in mail.outbox] == [["me@acme.example"]]
    else:  # down for good: every retry tried, then given up (and logged)
        assert FlakyBackend.attempts == settings.TASK_MAX_RETRIES + 1 and mail.outbox == []


def test_verify_button_without_javascript_opens_the_dialog_server_side(
    admin_client: Client, draft
) -> None:
    response = admin_client.post(
        reverse("channels_cfg:connect_from_verify", args=[draft.pk]),
        from_data(from_address_mode="custom", custom_from_address="me@acme.example"),
    )
    content = response.content.decode()
    assert 'id="verify-dialog"' in content
    assert "data-modal open" in content
    assert "me@acme.example" in content
    draft.refresh_from_db()
    assert draft.custom_from_address == "me@acme.example"


def test_the_edit_page_sends_verification_and_stays_an_edit_page(
    admin_client: Client, channel, django_capture_on_commit_callbacks
) -> None:
    page = admin_client.get(reverse("channels_cfg:edit", args=[channel.pk])).content.decode()
    send_url = reverse("channels_cfg:edit_send_verification", args=[channel.pk])
    assert f'formaction="{send_url}"' in page
    assert f'formaction="{reverse("channels_cfg:edit_verify", args=[channel.pk])}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            send_url,
            from_data(
                from_address_mode="custom",
                custom_from_address="me@acme.example",
                team_address="help@acme.example",
            ),
            **HTMX,
        )
    content = response.content.decode()
    assert "Verification message sent to me@acme.example." in content
    assert "Edit Acme support" in content
    assert f'action="{reverse("channels_cfg:edit", args=[channel.pk])}"' in content
    assert [message.to for message in mail.outbox] == [["me@acme.example"]]
