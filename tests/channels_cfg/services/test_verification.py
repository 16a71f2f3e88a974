"""Verifying a custom from address: a single-use, expiring, signed link, rate-limited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from channels_cfg.services.verification import (
    VERIFICATION_MAX_PER_WORKSPACE_HOUR,
    from_address_verification_send,
    from_address_verify,
)
from channels_cfg.services.wizard import channel_draft_start
from helpdesk.refusals import Refused
from tests.channels_cfg.conftest import send, use_custom_address

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
    for minute in range(1, 5):
        send(draft, start + timedelta(minutes=minute), django_capture_on_commit_callbacks)
    with pytest.raises(Refused, match="Too many"):
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
