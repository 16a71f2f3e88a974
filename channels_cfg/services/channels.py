"""Writes to a channel as a whole: Connect & finish, disconnect, reconnect, the "Send test email"
round trip, and what the inbound pipeline records on it (mail arrived, a provider's forwarding
confirmation, the test email's return), so that channels_cfg never imports inbox."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q

from channels_cfg import selectors
from channels_cfg.models import EmailChannel, ForwardingAddress, ForwardingConfirmation
from helpdesk.mail_ids import LOOP_HEADER, loop_header_value, make_test_message_id
from helpdesk.refusals import Refused
from helpdesk.system_mail import queue_system_email


class ChannelNotReady(Refused):
    """Connect & finish refused; `problems` are the reasons, each shown on its own line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


# --- Connect, disconnect, reconnect -------------------------------------------------------------


def channel_connect_problems(channel: EmailChannel) -> list[str]:
    """What stops this draft from connecting (empty when it may)."""
    problems = []
    if not channel.company_name.strip():
        problems.append("Enter a company name for the from name (step 1).")
    elif selectors.from_name_taken(
        workspace_id=channel.workspace_id,
        company_name=channel.company_name,
        exclude_channel_id=channel.pk,
    ):
        taken = selectors.FROM_NAME_TAKEN.format(company_name=channel.company_name)
        problems.append(f"{taken} Change it in step 1.")
    if not selectors.is_from_address_verified(channel):
        problems.append("Verify the custom from address (step 1), or use the default from address.")
    if not ForwardingAddress.objects.filter(channel=channel).exists():
        problems.append("The channel has no forwarding address.")
    return problems


def channel_connect(*, channel: EmailChannel, now: datetime) -> EmailChannel:
    """Connect & finish: the draft becomes a connected channel and its forwarding address locks."""
    with transaction.atomic():
        channel = EmailChannel.objects.select_for_update().get(pk=channel.pk)
        if channel.status != EmailChannel.Status.DRAFT:
            raise ChannelNotReady(["This channel is already connected."])
        problems = channel_connect_problems(channel)
        if problems:
            raise ChannelNotReady(problems)
        channel.status = EmailChannel.Status.CONNECTED
        channel.connected_at = now
        channel.name = channel.name or channel.company_name
        try:
            with transaction.atomic():
                channel.save(update_fields=["status", "connected_at", "name"])
        except IntegrityError as error:
            taken = selectors.FROM_NAME_TAKEN.format(company_name=channel.company_name)
            raise ChannelNotReady([taken]) from error
        ForwardingAddress.objects.filter(channel=channel, locked_at__isnull=True).update(
            locked_at=now
        )
    return channel


def channel_disconnect(*, channel: EmailChannel) -> EmailChannel:
    """Stop accepting mail for the channel; its settings and address are kept for reconnecting."""
    EmailChannel.objects.filter(pk=channel.pk, status=EmailChannel.Status.CONNECTED).update(
        status=EmailChannel.Status.DISCONNECTED
    )
    channel.refresh_from_db()
    return channel


def channel_reconnect(*, channel: EmailChannel, now: datetime) -> EmailChannel:
    """Accept mail for a disconnected channel again."""
    EmailChannel.objects.filter(pk=channel.pk, status=EmailChannel.Status.DISCONNECTED).update(
        status=EmailChannel.Status.CONNECTED, connected_at=now
    )
    channel.refresh_from_db()
    return channel


# --- Send test email ----------------------------------------------------------------------------


def channel_test_email_recipient(channel: EmailChannel) -> str:
    """Where the test mail goes: the team mailbox, or the mailbox that asked to forward."""
    if channel.team_address:
        return channel.team_address
    confirmation = selectors.confirmation_latest_get(channel)
    return confirmation.requested_by if confirmation and confirmation.requested_by else ""


def channel_send_test_email(
    *, channel: EmailChannel, sender_full_name: str, now: datetime
) -> EmailChannel:
    """Mail the team mailbox; when forwarding brings it back, the pipeline records its return.
    Refused while there is no mailbox to send it to."""
    recipient = channel_test_email_recipient(channel)
    if not recipient:
        raise Refused(
            "Enter your team's email address first: Edit the channel, then Your team's email address."
        )
    token = secrets.token_urlsafe(12)
    with transaction.atomic():
        channel.test_email_token = token
        channel.test_email_sent_at = now
        channel.test_email_received_at = None
        channel.save(
            update_fields=["test_email_token", "test_email_sent_at", "test_email_received_at"]
        )
        queue_system_email(
            _test_email(channel, token=token, to=recipient, sender=sender_full_name, now=now)
        )
    return channel


def _test_email(
    channel: EmailChannel, *, token: str, to: str, sender: str, now: datetime
) -> EmailMessage:
    return EmailMessage(
        subject=f"Helpdesk test email ({now:%Y-%m-%d %H:%M} UTC)",
        body=(
            "This is a test from your helpdesk. If forwarding works, it comes back to the "
            "helpdesk and the channel settings page says so. You can delete it."
        ),
        from_email=f"{channel.from_name_for(sender)} <{channel.from_address}>",
        to=[to],
        headers={
            "Message-ID": make_test_message_id(token=token, domain=channel.workspace.hosted_domain),
            LOOP_HEADER: loop_header_value(),
            "Auto-Submitted": "auto-generated",
        },
    )


# --- What the inbound pipeline records ----------------------------------------------------------


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
