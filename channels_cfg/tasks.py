"""Celery tasks of the channel settings (run by beat)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from channels_cfg.health import channels_alert_quiet


@shared_task(name="channels_cfg.alert_quiet_channels")
def alert_quiet_channels() -> int:
    """Tell admins about channels that stopped receiving mail (see channels_cfg.health)."""
    return channels_alert_quiet(now=timezone.now())
