"""Reads for the wizard and the channel settings (more than a one-line filter)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from channels_cfg import dkim
from channels_cfg.addresses import address_domain
from channels_cfg.dkim import DkimSigner
from channels_cfg.models import (
    EmailChannel,
    ForwardingAddress,
    ForwardingConfirmation,
    FromAddressVerification,
    SendingDomain,
)
from helpdesk.models import Workspace

logger = logging.getLogger(__name__)

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


def sending_domain_list(workspace: Workspace) -> QuerySet[SendingDomain]:
    return SendingDomain.objects.filter(workspace=workspace).order_by("domain", "id")


def dkim_signer_get(*, workspace_id: int, address: str) -> DkimSigner | None:
    """The key replies from `address` are DKIM-signed with: its verified sending domain's, or
    None (an unverified or unknown domain, or a key no SECRET_KEY opens: sent unsigned)."""
    if "@" not in address:
        return None
    domain = SendingDomain.objects.filter(
        workspace_id=workspace_id, domain__iexact=address_domain(address), verified=True
    ).first()
    if domain is None or not domain.dkim_private_key:
        return None
    try:
        private_pem = dkim.decrypt_private_key(domain.dkim_private_key)
    except ValueError as error:
        logger.error("sending domain %s: cannot sign: %s", domain.pk, error)
        return None
    return dkim.DkimSigner(
        domain=domain.domain, selector=domain.dkim_selector, private_pem=private_pem
    )


def channels_on_sending_domain(sending_domain: SendingDomain) -> list[EmailChannel]:
    """The workspace's channels whose custom from address is on the domain."""
    return [
        channel
        for channel in EmailChannel.objects.filter(
            workspace_id=sending_domain.workspace_id,
            from_address_mode=EmailChannel.FromAddressMode.CUSTOM,
            custom_from_address__iendswith="@" + sending_domain.domain,
        ).order_by("name", "id")
    ]


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


@dataclass(frozen=True)
class RecentVerifications:
    """Verification mails sent lately, as the rate limits count them (services/verification)."""

    channel_last_hour: int
    channel_latest: datetime | None
    workspace_last_hour: int
    # The recipient's, from every workspace: the address is whom a flood would hurt.
    address_last_hour: int
    address_last_day: int
    address_latest: datetime | None


def verifications_recent(
    *, channel: EmailChannel, address: str, now: datetime
) -> RecentVerifications:
    """How many verification mails went lately from the channel, its workspace and to `address`."""
    hour, day = now - timedelta(hours=1), now - timedelta(days=1)
    of_channel = FromAddressVerification.objects.filter(channel=channel, sent_at__gt=hour)
    to_address = FromAddressVerification.objects.filter(address__iexact=address, sent_at__gt=day)
    address_counts = to_address.aggregate(
        day=Count("pk"), hour=Count("pk", filter=Q(sent_at__gt=hour)), latest=Max("sent_at")
    )
    return RecentVerifications(
        channel_last_hour=of_channel.count(),
        channel_latest=of_channel.aggregate(latest=Max("sent_at"))["latest"],
        workspace_last_hour=FromAddressVerification.objects.filter(
            channel__workspace_id=channel.workspace_id, sent_at__gt=hour
        ).count(),
        address_last_hour=address_counts["hour"],
        address_last_day=address_counts["day"],
        address_latest=address_counts["latest"],
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
