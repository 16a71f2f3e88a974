"""Custom from address: a single-use, expiring, signed link, rate-limited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels_cfg.models import EmailChannel, FromAddressVerification
from channels_cfg.wizard_services import (
    VerificationLinkInvalid,
    VerificationRateLimited,
    channel_connect,
    channel_from_settings_update,
    from_address_verification_send,
    from_address_verify,
)
from helpdesk.mail_ids import LOOP_HEADER, loop_header_value
from tests.channels_cfg.conftest import HTMX

pytestmark = pytest.mark.django_db


def use_custom_address(channel: EmailChannel, address: str = "me@acme.example") -> None:
    channel_from_settings_update(
        channel=channel,
        from_name_mode="company",
        company_name="Acme",
        from_address_mode="custom",
        custom_from_address=address,
        signature_html="",
    )


def link_token(message: mail.EmailMessage) -> str:
    match = re.search(r"/settings/channels/verify-from-address/([^/\s]+)/", message.body)
    assert match, message.body
    return match[1]


def post_send_verification(client: Client, channel: EmailChannel):
    """Press Send verification message on step 1 for me@acme.example (htmx)."""
    return client.post(
        reverse("channels_cfg:connect_from", args=[channel.pk]),
        {
            "from_name_mode": "company",
            "company_name": "Acme",
            "from_address_mode": "custom",
            "custom_from_address": "me@acme.example",
            "action": "send_verification",
        },
        **HTMX,
    )


def send(channel: EmailChannel, now, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        from_address_verification_send(channel=channel, now=now)
    return link_token(mail.outbox[-1])


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


def test_an_expired_link_is_refused(draft, django_capture_on_commit_callbacks) -> None:
    use_custom_address(draft)
    sent_at = timezone.now()
    token = send(draft, sent_at, django_capture_on_commit_callbacks)
    with pytest.raises(VerificationLinkInvalid, match="expired"):
        from_address_verify(signed_token=token, now=sent_at + timedelta(hours=24, seconds=1))
    draft.refresh_from_db()
    assert draft.from_address_verified_at is None
    # Just before expiry it still works.
    from_address_verify(signed_token=token, now=sent_at + timedelta(hours=23, minutes=59))


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
    with pytest.raises(VerificationLinkInvalid):
        from_address_verify(signed_token=bad, now=timezone.now())
    draft.refresh_from_db()
    assert draft.from_address_verified_at is None


def test_changing_the_address_after_verifying_needs_a_new_verification(
    draft, django_capture_on_commit_callbacks
) -> None:
    use_custom_address(draft, "me@acme.example")
    token = send(draft, timezone.now(), django_capture_on_commit_callbacks)
    from_address_verify(signed_token=token, now=timezone.now())
    use_custom_address(draft, "other@acme.example")
    assert draft.from_address_verified_at is None
    # Going back to the verified address keeps its verification.
    use_custom_address(draft, "ME@acme.example")
    assert draft.from_address_verified_at is not None


def test_a_link_for_a_replaced_address_does_not_verify_the_new_one(
    draft, django_capture_on_commit_callbacks
) -> None:
    use_custom_address(draft, "me@acme.example")
    token = send(draft, timezone.now(), django_capture_on_commit_callbacks)
    use_custom_address(draft, "other@acme.example")
    from_address_verify(signed_token=token, now=timezone.now())
    draft.refresh_from_db()
    assert draft.from_address_verified_at is None


def test_sending_is_rate_limited(draft, django_capture_on_commit_callbacks) -> None:
    use_custom_address(draft)
    start = timezone.now()
    send(draft, start, django_capture_on_commit_callbacks)
    with pytest.raises(VerificationRateLimited, match="less than a minute"):
        from_address_verification_send(channel=draft, now=start + timedelta(seconds=30))
    for minute in range(1, 5):
        send(draft, start + timedelta(minutes=minute), django_capture_on_commit_callbacks)
    with pytest.raises(VerificationRateLimited, match="Too many"):
        from_address_verification_send(channel=draft, now=start + timedelta(minutes=6))
    assert len(mail.outbox) == 5
    # An hour later it is allowed again.
    send(draft, start + timedelta(minutes=61, seconds=1), django_capture_on_commit_callbacks)


def test_rate_limit_error_shows_next_to_the_field(
    admin_client: Client, draft, django_capture_on_commit_callbacks
) -> None:
    data = {
        "from_name_mode": "company",
        "company_name": "Acme",
        "from_address_mode": "custom",
        "custom_from_address": "me@acme.example",
        "action": "send_verification",
    }
    url = reverse("channels_cfg:connect_from", args=[draft.pk])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, data)
        response = admin_client.post(url, data)
    content = response.content.decode()
    assert 'id="id_custom_from_address-error"' in content
    assert "less than a minute ago" in content
    assert len(mail.outbox) == 1


def test_sending_is_rate_limited_per_workspace_across_drafts(
    admin_agent, django_capture_on_commit_callbacks
) -> None:
    from channels_cfg.wizard_services import (
        VERIFICATION_MAX_PER_WORKSPACE_HOUR,
        channel_draft_start,
    )

    now = timezone.now()
    for index in range(VERIFICATION_MAX_PER_WORKSPACE_HOUR):
        channel = channel_draft_start(workspace=admin_agent.workspace, created_by=admin_agent.user)
        use_custom_address(channel, f"target{index}@victim.example")
        send(channel, now, django_capture_on_commit_callbacks)
    one_more = channel_draft_start(workspace=admin_agent.workspace, created_by=admin_agent.user)
    use_custom_address(one_more, "another@victim.example")
    with pytest.raises(VerificationRateLimited, match="Too many"):
        from_address_verification_send(channel=one_more, now=now)


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
