"""Verifying a custom from address: a single-use, expiring, signed link, rate-limited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from channels_cfg.services.verification import (
    VERIFICATION_MAX_PER_ADDRESS_DAY,
    VERIFICATION_MAX_PER_ADDRESS_HOUR,
    VERIFICATION_MAX_PER_WORKSPACE_HOUR,
    from_address_verification_send,
    from_address_verify,
    mail_safe_company_name,
)
from channels_cfg.services.wizard import channel_draft_start, channel_from_settings_update
from helpdesk.refusals import Refused
from tests.channels_cfg.conftest import send, use_custom_address
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def test_an_expired_link_is_refused(draft, django_capture_on_commit_callbacks) -> None:
    use_custom_address(draft)
    sent_at = timezone.now()
    token = send(draft, sent_at, django_capture_on_commit_callbacks)
    with pytest.raises(Refused, match="expired"):
        from_address_verify(signed_token=token, now=sent_at + timedelta(hours=24, seconds=1))
    draft.refresh_from_db()
    assert draft.from_address_verified_at is None
    # Just before expiry it still works.
    from_address_verify(signed_token=token, now=sent_at + timedelta(hours=23, minutes=59))


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
    with pytest.raises(Refused, match="less than a minute"):
        from_address_verification_send(channel=draft, now=start + timedelta(seconds=30))
    # Other addresses each time, so that only the channel's own limit counts.
    for minute in range(1, 5):
        use_custom_address(draft, f"me{minute}@acme.example")
        send(draft, start + timedelta(minutes=minute), django_capture_on_commit_callbacks)
    use_custom_address(draft, "me5@acme.example")
    with pytest.raises(Refused, match="Too many verification messages this hour"):
        from_address_verification_send(channel=draft, now=start + timedelta(minutes=6))
    assert len(mail.outbox) == 5
    # An hour later it is allowed again.
    send(draft, start + timedelta(minutes=61, seconds=1), django_capture_on_commit_callbacks)


def test_sending_is_rate_limited_per_workspace_across_drafts(
    admin_agent, django_capture_on_commit_callbacks
) -> None:
    now = timezone.now()
    for index in range(VERIFICATION_MAX_PER_WORKSPACE_HOUR):
        channel = channel_draft_start(workspace=admin_agent.workspace, created_by=admin_agent.user)
        use_custom_address(channel, f"target{index}@victim.example")
        send(channel, now, django_capture_on_commit_callbacks)
    one_more = channel_draft_start(workspace=admin_agent.workspace, created_by=admin_agent.user)
    use_custom_address(one_more, "another@victim.example")
    with pytest.raises(Refused, match="Too many"):
        from_address_verification_send(channel=one_more, now=now)


def _drafts_to(admin, address: str, count: int) -> list:
    drafts = []
    for _ in range(count):
        channel = channel_draft_start(workspace=admin.workspace, created_by=admin.user)
        use_custom_address(channel, address)
        drafts.append(channel)
    return drafts


def test_one_address_is_not_mailed_again_within_a_minute_from_many_drafts(
    admin_agent, django_capture_on_commit_callbacks
) -> None:
    # The drill: an admin with many drafts mailed one outside address 8 times in seconds.
    now = timezone.now()
    first, *others = _drafts_to(admin_agent, "victim@outside.example", 8)
    send(first, now, django_capture_on_commit_callbacks)
    for index, channel in enumerate(others):
        with pytest.raises(Refused, match="this address"):
            from_address_verification_send(channel=channel, now=now + timedelta(seconds=index))
    assert len(mail.outbox) == 1


def test_one_address_gets_a_few_verification_mails_an_hour_and_a_day_from_all_workspaces(
    django_capture_on_commit_callbacks,
) -> None:
    address = "victim@outside.example"
    start = timezone.now()
    # Each from its own workspace: the limit is the address's, whoever asks.
    drafts = [_drafts_to(AdminFactory(), address, 1)[0] for _ in range(12)]
    sent_at = start
    for channel in drafts[:VERIFICATION_MAX_PER_ADDRESS_HOUR]:
        send(channel, sent_at, django_capture_on_commit_callbacks)
        sent_at += timedelta(minutes=2)
    with pytest.raises(Refused, match="this address"):
        from_address_verification_send(channel=drafts[-1], now=sent_at)
    # A day's allowance, spread over hours, then nothing more that day.
    sent = VERIFICATION_MAX_PER_ADDRESS_HOUR
    later = start + timedelta(hours=1, minutes=1)
    while sent < VERIFICATION_MAX_PER_ADDRESS_DAY:
        send(drafts[sent], later, django_capture_on_commit_callbacks)
        sent, later = sent + 1, later + timedelta(minutes=21)
    with pytest.raises(Refused, match="this address"):
        from_address_verification_send(channel=drafts[sent], now=start + timedelta(hours=23))
    assert len(mail.outbox) == VERIFICATION_MAX_PER_ADDRESS_DAY
    # Addresses are compared without regard to case.
    use_custom_address(drafts[sent], address.upper())
    with pytest.raises(Refused, match="this address"):
        from_address_verification_send(channel=drafts[sent], now=start + timedelta(hours=23))


@pytest.mark.parametrize(
    ("company_name", "shown"),
    [
        ("Acme", True),
        ("Café Müller & Söhne", True),
        ("Claim your prize at evil.example now", False),
        ("Acme https://evil.example/claim", False),
        ("Write to winner@evil.example", False),
        ("A" * 41, False),
        ("Acme\u202egnp.exe", False),
    ],
    ids=["plain", "accented", "domain", "url", "address", "long", "bidi-override"],
)
def test_the_mail_holds_no_admin_text_but_a_short_plain_company_name(
    draft, django_capture_on_commit_callbacks, company_name: str, shown: bool
) -> None:
    channel_from_settings_update(
        channel=draft,
        from_name_mode="company",
        company_name=company_name,
        from_address_mode="custom",
        custom_from_address="me@acme.example",
        signature_html="<p>Click https://evil.example/win to claim</p>",
    )
    draft.name = "Free money at evil.example"
    draft.save(update_fields=["name"])
    send(draft, timezone.now(), django_capture_on_commit_callbacks)
    [message] = mail.outbox
    text = message.subject + "\n" + message.body
    assert (company_name in text) is shown
    assert mail_safe_company_name(company_name) == (company_name if shown else "")
    for planted in ("evil.example", "claim", "prize", "Free money", "\u202e"):
        assert planted.lower() not in text.lower(), planted
    assert "me@acme.example" in message.body
