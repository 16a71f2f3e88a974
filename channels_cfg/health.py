"""Telling admins when a connected channel goes quiet: a continuous health check.

Providers switch a forward off without telling anyone (Zoho after repeated delivery failures,
Gmail when the mailbox password changes), and a quiet inbox looks just like a calm week. The
channel list marks such a channel; this also mails the workspace's admins, once per quiet spell.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.urls import reverse

from channels_cfg.models import EmailChannel
from channels_cfg.selectors import NO_MAIL_YET_AFTER, QUIET_AFTER, channel_quiet_since
from helpdesk.mail_ids import LOOP_HEADER, loop_header_value
from helpdesk.models import Agent
from helpdesk.system_mail import queue_system_email


def channels_alert_quiet(*, now: datetime) -> int:
    """Mail the admins of every channel that went quiet since they were last told; the count."""
    candidates = EmailChannel.objects.filter(
        status=EmailChannel.Status.CONNECTED,
        connected_at__lt=now - NO_MAIL_YET_AFTER,
    ).filter(
        Q(last_inbound_at__isnull=True) | Q(last_inbound_at__lt=now - QUIET_AFTER),
        Q(test_email_received_at__isnull=True) | Q(test_email_received_at__lt=now - QUIET_AFTER),
    )
    alerted = 0
    for channel in candidates.select_related("workspace"):
        quiet_since = channel_quiet_since(channel, now=now)
        if quiet_since is None:
            continue
        if channel.quiet_alerted_at is not None and channel.quiet_alerted_at > quiet_since:
            continue  # told already during this quiet spell
        claimed = EmailChannel.objects.filter(
            pk=channel.pk, quiet_alerted_at=channel.quiet_alerted_at
        ).update(quiet_alerted_at=now)
        if claimed:  # another beat run did not get there first
            _mail_admins(channel, quiet_since=quiet_since, now=now)
            alerted += 1
    return alerted


def _mail_admins(channel: EmailChannel, *, quiet_since: datetime, now: datetime) -> None:
    admins = list(
        Agent.objects.filter(
            workspace_id=channel.workspace_id, role=Agent.Role.ADMIN, user__is_active=True
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not admins:
        return
    days = max(1, (now - quiet_since).days)
    name = channel.name or channel.company_name
    mailbox = channel.team_address or "your team mailbox"
    url = settings.SITE_URL + reverse("channels_cfg:channel_list")
    queue_system_email(
        EmailMessage(
            subject=f"No mail has reached {name} for {days} days"[:200],
            body=(
                f"The helpdesk channel {name} has received nothing for {days} days. If that is "
                f"unexpected, {mailbox} may have stopped forwarding to the helpdesk: providers "
                "sometimes switch forwarding off without notice.\n\n"
                f"Check it with Send test email on the channel list:\n{url}\n"
            ),
            to=admins,
            headers={LOOP_HEADER: loop_header_value(), "Auto-Submitted": "auto-generated"},
        )
    )
