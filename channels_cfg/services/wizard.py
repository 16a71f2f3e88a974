"""Writes of the connect wizard's steps onto a channel: the draft itself, from settings,
assignment, forwarding address, provider and team mailbox."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from channels_cfg import selectors
from channels_cfg.addresses import (
    is_suggested_local_part,
    local_part_problem,
    normalize_local_part,
    suggest_local_part,
)
from channels_cfg.models import EmailChannel, ForwardingAddress, FromAddressVerification
from channels_cfg.signature import sanitize_signature
from helpdesk.models import Team, Workspace
from helpdesk.refusals import Refused


def channel_draft_start(*, workspace: Workspace, created_by: User) -> EmailChannel:
    """A new draft channel with a fresh, unique forwarding address. Its company name is the
    workspace's unless another channel uses that from name already (then none: the admin
    names it, rather than meeting "already uses the from name" on the first Next)."""
    taken = selectors.from_name_taken(
        workspace_id=workspace.pk, company_name=workspace.company_name, exclude_channel_id=None
    )
    company_name = "" if taken else workspace.company_name
    with transaction.atomic():
        channel = EmailChannel.objects.create(
            workspace=workspace, company_name=company_name, created_by=created_by
        )
        local_part = _free_local_part(company_name, workspace.hosted_domain)
        ForwardingAddress.objects.create(
            channel=channel, address=f"{local_part}@{workspace.hosted_domain}"
        )
        channel.default_from_username = local_part
        channel.save(update_fields=["default_from_username"])
        return channel


def _free_local_part(company_name: str, domain: str) -> str:
    """A suggested local part for the name whose address no channel has (random suffixes:
    a few tries find one)."""
    for _ in range(10):
        local_part = suggest_local_part(company_name)
        if not ForwardingAddress.objects.filter(address=f"{local_part}@{domain}").exists():
            return local_part
    return local_part  # the unique constraint refuses it in the unlikely case it is taken


def _follow_company_name(channel: EmailChannel, *, previous_name: str) -> None:
    """A draft's suggested forwarding address follows the name given in step 1 ("Acme Sales"
    -> acme-sales-7f3k), as long as the admin did not choose it and no provider can know it
    yet (no provider chosen, no confirmation received)."""
    if channel.status != EmailChannel.Status.DRAFT or channel.provider:
        return
    if _same_stem(channel.company_name, previous_name):
        return
    forwarding = ForwardingAddress.objects.select_for_update().get(channel=channel)
    local_part, _, domain = forwarding.address.partition("@")
    if forwarding.is_locked or not is_suggested_local_part(local_part, previous_name):
        return
    if channel.forwarding_confirmations.exists():
        return
    forwarding.address = f"{_free_local_part(channel.company_name, domain)}@{domain}"
    forwarding.save(update_fields=["address"])
    if channel.default_from_username in ("", local_part):
        channel.default_from_username = forwarding.address.partition("@")[0]
        EmailChannel.objects.filter(pk=channel.pk).update(
            default_from_username=channel.default_from_username
        )
    channel.forwarding_address = forwarding


def _same_stem(name: str, other: str) -> bool:
    return suggest_local_part(name, suffix="x") == suggest_local_part(other, suffix="x")


def channel_draft_discard(*, channel: EmailChannel) -> None:
    """Delete a draft with its forwarding address (and what hangs on it); refused once connected."""
    with transaction.atomic():
        locked = EmailChannel.objects.select_for_update().get(pk=channel.pk)
        if locked.status != EmailChannel.Status.DRAFT:
            raise Refused("Only a draft can be discarded; disconnect a connected channel instead.")
        locked.delete()


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
    previous_name = channel.company_name
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
    # Another draft taking the same new address meanwhile: this one keeps its old address.
    with suppress(IntegrityError), transaction.atomic():
        _follow_company_name(channel, previous_name=previous_name)
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
