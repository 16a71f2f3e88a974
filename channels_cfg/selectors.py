"""Reads for the wizard and the channel settings (more than a one-line filter)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet

from channels_cfg.addresses import address_domain
from channels_cfg.models import (
    EmailChannel,
    ForwardingAddress,
    ForwardingConfirmation,
    FromAddressVerification,
    SendingDomain,
)
from helpdesk.models import Workspace

# Mail within this long after a confirmation may be the confirmation itself (or its retries).
PENDING_GRACE = timedelta(minutes=5)

# What the admin reads when `from_name_taken` (or the database constraint behind it) says no.
FROM_NAME_TAKEN = "Another team email channel already uses the from name “{company_name}”."
# And when `forwarding_address_taken` does.
FORWARDING_ADDRESS_TAKEN = "{address} is already taken. Choose another name."


def from_name_taken(
    *, workspace_id: int, company_name: str, exclude_channel_id: int | None
) -> bool:
    """True if another hosted (non-draft) channel of the workspace already uses this from name."""
    others = EmailChannel.objects.filter(workspace_id=workspace_id).exclude(
        status=EmailChannel.Status.DRAFT
    )
    if exclude_channel_id is not None:
        others = others.exclude(pk=exclude_channel_id)
    return others.filter(company_name__iexact=company_name.strip()).exists()


def is_sending_domain_verified(*, workspace: Workspace, address: str) -> bool:
    """A custom from address is accepted outright on a verified sending domain of a paid plan."""
    if workspace.plan != Workspace.Plan.PAID or "@" not in address:
        return False
    return SendingDomain.objects.filter(
        workspace=workspace, domain__iexact=address_domain(address), verified=True
    ).exists()


def is_from_address_verified(channel: EmailChannel) -> bool:
    """May replies go out from the channel's from address?"""
    if channel.from_address_mode != EmailChannel.FromAddressMode.CUSTOM:
        return True
    if not channel.custom_from_address:
        return False
    if channel.from_address_verified_at is not None:
        return True
    return is_sending_domain_verified(
        workspace=channel.workspace, address=channel.custom_from_address
    )


def verification_pending_get(
    *, channel: EmailChannel, now: datetime
) -> FromAddressVerification | None:
    """The latest unused, unexpired verification mail for the channel's custom address."""
    return (
        FromAddressVerification.objects.filter(
            channel=channel,
            address__iexact=channel.custom_from_address,
            verified_at__isnull=True,
            expires_at__gt=now,
        )
        .order_by("-sent_at")
        .first()
    )


def _confirmations_newest_first() -> QuerySet[ForwardingConfirmation]:
    return ForwardingConfirmation.objects.order_by("-received_at", "-id")


def confirmation_latest_get(channel: EmailChannel) -> ForwardingConfirmation | None:
    prefetched = getattr(channel, "_prefetched_objects_cache", {})
    if "forwarding_confirmations" in prefetched:
        return next(iter(prefetched["forwarding_confirmations"]), None)
    return _confirmations_newest_first().filter(channel=channel).first()


def confirmation_pending_get(channel: EmailChannel) -> ForwardingConfirmation | None:
    """The latest provider confirmation, unless forwarding has since been seen to work.

    A test email that came back, or ordinary mail arriving well after the confirmation (the
    confirmation mail itself also counts as inbound mail), shows the forward is active.
    """
    confirmation = confirmation_latest_get(channel)
    if confirmation is None:
        return None
    worked_at = [
        moment
        for moment in (channel.test_email_received_at, channel.last_inbound_at)
        if moment is not None
    ]
    if any(moment > confirmation.received_at + PENDING_GRACE for moment in worked_at):
        return None
    return confirmation


# No mail for this long on a connected channel is worth a look: providers switch a forward off
# without telling anyone (Zoho after repeated delivery failures, Gmail when the password
# changes), and a quiet inbox looks just like a calm week.
QUIET_AFTER = timedelta(days=7)
NO_MAIL_YET_AFTER = timedelta(days=1)


def channel_quiet_since(channel: EmailChannel, *, now: datetime) -> datetime | None:
    """When a connected channel last heard anything (mail or its test email), if that is long
    enough ago to suggest the forward stopped; None when all looks well."""
    if channel.status != EmailChannel.Status.CONNECTED or channel.connected_at is None:
        return None
    heard = [
        moment
        for moment in (channel.last_inbound_at, channel.test_email_received_at)
        if moment is not None
    ]
    if heard:
        latest = max(heard)
        return latest if latest < now - QUIET_AFTER else None
    return channel.connected_at if channel.connected_at < now - NO_MAIL_YET_AFTER else None


def forwarding_address_taken(*, address: str, exclude_channel_id: int) -> bool:
    return (
        ForwardingAddress.objects.filter(address=address.lower())
        .exclude(channel_id=exclude_channel_id)
        .exists()
    )


def channel_list_for_settings(workspace: Workspace) -> QuerySet[EmailChannel]:
    """Connected and disconnected channels with their rejected-mail count, for the settings list."""
    return (
        EmailChannel.objects.filter(workspace=workspace)
        .exclude(status=EmailChannel.Status.DRAFT)
        .select_related("forwarding_address", "workspace")
        .prefetch_related(
            Prefetch("forwarding_confirmations", queryset=_confirmations_newest_first())
        )
        .annotate(
            rejected_count=Count("inbound_emails", filter=Q(inbound_emails__status="rejected"))
        )
        .order_by("name", "id")
    )


def channel_list_drafts(workspace: Workspace) -> QuerySet[EmailChannel]:
    return EmailChannel.objects.filter(
        workspace=workspace, status=EmailChannel.Status.DRAFT
    ).select_related("forwarding_address")


# Forwarding normally takes seconds; after this long a test email is reported as not returned.
TEST_EMAIL_WAIT = timedelta(minutes=15)


def channel_test_email_state(channel: EmailChannel, *, now: datetime) -> str:
    """ "" (never sent), "returned", "waiting" (poll on), or "missing" (waited long enough)."""
    if channel.test_email_received_at is not None:
        return "returned"
    if channel.test_email_sent_at is None:
        return ""
    return "waiting" if now - channel.test_email_sent_at < TEST_EMAIL_WAIT else "missing"
