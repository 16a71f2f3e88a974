"""Writes of the connect wizard's steps onto a channel: the draft itself, from settings,
assignment, forwarding address, provider and team mailbox."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from channels_cfg import selectors
from channels_cfg.addresses import local_part_problem, normalize_local_part, suggest_local_part
from channels_cfg.models import EmailChannel, ForwardingAddress, FromAddressVerification
from channels_cfg.signature import sanitize_signature
from helpdesk.models import Team, Workspace
from helpdesk.refusals import Refused


def channel_draft_start(*, workspace: Workspace, created_by: User) -> EmailChannel:
    """A new draft channel with a fresh, unique forwarding address."""
    with transaction.atomic():
        channel = EmailChannel.objects.create(
            workspace=workspace, company_name=workspace.company_name, created_by=created_by
        )
        for _ in range(10):
            local_part = suggest_local_part(workspace.company_name)
            address = f"{local_part}@{workspace.hosted_domain}"
            if not ForwardingAddress.objects.filter(address=address).exists():
                break
        ForwardingAddress.objects.create(channel=channel, address=address)
        channel.default_from_username = local_part
        channel.save(update_fields=["default_from_username"])
        return channel


def channel_from_settings_update(
    *,
    channel: EmailChannel,
    from_name_mode: str,
    company_name: str,
    from_address_mode: str,
    custom_from_address: str,
    signature_html: str,
) -> EmailChannel:
    """Save step 1 (from name, from address, signature); a changed custom address needs verifying.
    Refused when another channel took the from name meanwhile."""
    custom_from_address = custom_from_address.strip()
    if custom_from_address.lower() != channel.custom_from_address.lower():
        earlier = FromAddressVerification.objects.filter(
            channel=channel, address__iexact=custom_from_address, verified_at__isnull=False
        ).first()
        channel.from_address_verified_at = earlier.verified_at if earlier else None
    # A channel named after its company follows a renamed company.
    if channel.name in ("", channel.company_name) and channel.status != EmailChannel.Status.DRAFT:
        channel.name = company_name.strip()
    channel.from_name_mode = from_name_mode
    channel.company_name = company_name.strip()
    channel.from_address_mode = from_address_mode
    channel.custom_from_address = custom_from_address
    channel.signature_html = sanitize_signature(signature_html)
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError as error:
        message = selectors.FROM_NAME_TAKEN.format(company_name=channel.company_name)
        raise Refused(message, field="company_name") from error
    return channel


def channel_assignment_update(
    *,
    channel: EmailChannel,
    auto_assign: bool,
    assign_mode: str,
    users: Iterable[User],
    teams: Iterable[Team],
    create_tickets: bool,
    ticket_pipeline: str,
    ticket_status: str,
    ticket_priority: str,
    ticket_category: str,
) -> EmailChannel:
    """Save step 2 (assignment rules and default ticket properties)."""
    with transaction.atomic():
        channel.auto_assign = auto_assign
        channel.assign_mode = assign_mode
        channel.create_tickets = create_tickets
        channel.ticket_pipeline = ticket_pipeline
        channel.ticket_status = ticket_status
        channel.ticket_priority = ticket_priority
        channel.ticket_category = ticket_category
        channel.save()
        channel.assign_users.set(list(users))
        channel.assign_teams.set(list(teams))
    return channel


def forwarding_address_customize(*, channel: EmailChannel, local_part: str) -> ForwardingAddress:
    """Change a draft's forwarding address local part; refused once the address is locked."""
    local_part = normalize_local_part(local_part)
    problem = local_part_problem(local_part)
    if problem:
        raise Refused(problem, field="local_part")
    address = f"{local_part}@{channel.workspace.hosted_domain}"
    with transaction.atomic():
        forwarding = ForwardingAddress.objects.select_for_update().get(channel=channel)
        if forwarding.is_locked or channel.status != EmailChannel.Status.DRAFT:
            raise Refused(
                "This forwarding address is locked: it cannot change after Connect & finish.",
                field="local_part",
            )
        if selectors.forwarding_address_taken(address=address, exclude_channel_id=channel.pk):
            raise _address_taken(address)
        forwarding.address = address
        try:
            with transaction.atomic():
                forwarding.save(update_fields=["address"])
        except IntegrityError as error:
            raise _address_taken(address) from error
        EmailChannel.objects.filter(pk=channel.pk).update(default_from_username=local_part)
        channel.default_from_username = local_part
    return forwarding


def _address_taken(address: str) -> Refused:
    return Refused(selectors.FORWARDING_ADDRESS_TAKEN.format(address=address), field="local_part")


def channel_provider_update(
    *, channel: EmailChannel, provider: str, team_address: str
) -> EmailChannel:
    """Remember the chosen provider and the team mailbox that forwards to us."""
    channel.provider = provider
    channel.team_address = team_address.strip()
    channel.save(update_fields=["provider", "team_address"])
    return channel


def channel_team_address_update(*, channel: EmailChannel, team_address: str) -> EmailChannel:
    """Change the team mailbox that forwards to us (where test emails go)."""
    channel.team_address = team_address.strip()
    channel.save(update_fields=["team_address"])
    return channel
