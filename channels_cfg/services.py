"""Writes to channels. The inbound pipeline records what the wizard must show through here,
so that channels_cfg never imports inbox."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q

from channels_cfg.models import EmailChannel, ForwardingConfirmation


def channel_mark_inbound(*, channel_id: int, at: datetime) -> None:
    """Record that mail reached the channel at `at` (never moves the time backwards)."""
    EmailChannel.objects.filter(pk=channel_id).filter(
        Q(last_inbound_at__isnull=True) | Q(last_inbound_at__lt=at)
    ).update(last_inbound_at=at)


def forwarding_confirmation_record(
    *,
    channel_id: int,
    provider: str,
    requested_by: str,
    code: str,
    confirm_url: str,
    received_at: datetime,
) -> ForwardingConfirmation:
    """Store a provider's forwarding-confirmation mail (code and link) for the channel."""
    with transaction.atomic():
        return ForwardingConfirmation.objects.create(
            channel_id=channel_id,
            provider=provider,
            requested_by=requested_by,
            code=code,
            confirm_url=confirm_url,
            received_at=received_at,
        )


def channel_test_email_received(*, token: str, at: datetime) -> bool:
    """Record that a channel's test email came back through forwarding; False if no channel sent it."""
    if not token:
        return False
    updated = EmailChannel.objects.filter(test_email_token=token).update(test_email_received_at=at)
    return updated > 0
