"""Writes of the connect wizard and the channel settings: drafts, from address verification,
forwarding address, connect / disconnect, and the "Send test email" round trip."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse

from channels_cfg import selectors
from channels_cfg.addresses import local_part_problem, normalize_local_part, suggest_local_part
from channels_cfg.models import EmailChannel, ForwardingAddress, FromAddressVerification
from channels_cfg.signature import sanitize_signature
from helpdesk.mail_ids import LOOP_HEADER, loop_header_value, make_test_message_id
from helpdesk.models import Team, Workspace
from helpdesk.system_mail import queue_system_email

VERIFICATION_TTL = timedelta(hours=24)
VERIFICATION_MIN_INTERVAL = timedelta(seconds=60)
VERIFICATION_MAX_PER_HOUR = 5
VERIFICATION_MAX_PER_WORKSPACE_HOUR = 20
_VERIFICATION_SALT = "channels_cfg.from-address-verification"


class WizardError(Exception):
    """An expected refusal, with a sentence for the admin."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FromNameTaken(WizardError):
    pass


class ForwardingAddressRefused(WizardError):
    pass


class VerificationRateLimited(WizardError):
    pass


class VerificationLinkInvalid(WizardError):
    pass


class ChannelNotReady(WizardError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
    """Save step 1 (from name, from address, signature); a changed custom address needs verifying."""
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
        raise FromNameTaken(_from_name_taken_message(channel.company_name)) from error
    return channel


def _from_name_taken_message(company_name: str) -> str:
    return f"Another team email channel already uses the from name “{company_name}”."


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
        raise ForwardingAddressRefused(problem)
    address = f"{local_part}@{channel.workspace.hosted_domain}"
    with transaction.atomic():
        forwarding = ForwardingAddress.objects.select_for_update().get(channel=channel)
        if forwarding.is_locked or channel.status != EmailChannel.Status.DRAFT:
            raise ForwardingAddressRefused(
                "This forwarding address is locked: it cannot change after Connect & finish."
            )
        if selectors.forwarding_address_taken(address=address, exclude_channel_id=channel.pk):
            raise ForwardingAddressRefused(f"{address} is already taken. Choose another name.")
        forwarding.address = address
        try:
            with transaction.atomic():
                forwarding.save(update_fields=["address"])
        except IntegrityError as error:
            raise ForwardingAddressRefused(
                f"{address} is already taken. Choose another name."
            ) from error
        EmailChannel.objects.filter(pk=channel.pk).update(default_from_username=local_part)
        channel.default_from_username = local_part
    return forwarding


def from_address_verification_send(
    *, channel: EmailChannel, now: datetime
) -> FromAddressVerification:
    """Mail a single-use, expiring, signed link to the channel's custom from address."""
    address = channel.custom_from_address
    if channel.from_address_mode != EmailChannel.FromAddressMode.CUSTOM or not address:
        raise WizardError("Enter the custom from address to verify first.")
    with transaction.atomic():
        EmailChannel.objects.select_for_update().filter(pk=channel.pk).first()
        recent = FromAddressVerification.objects.filter(
            channel=channel, sent_at__gt=now - timedelta(hours=1)
        )
        latest = recent.order_by("-sent_at").first()
        if latest and latest.sent_at > now - VERIFICATION_MIN_INTERVAL:
            raise VerificationRateLimited(
                "A verification message was sent less than a minute ago. Wait a minute before "
                "sending another."
            )
        workspace_recent = FromAddressVerification.objects.filter(
            channel__workspace_id=channel.workspace_id, sent_at__gt=now - timedelta(hours=1)
        )
        # Per workspace too, so that starting new drafts cannot turn this into a mail cannon.
        if (
            recent.count() >= VERIFICATION_MAX_PER_HOUR
            or workspace_recent.count() >= VERIFICATION_MAX_PER_WORKSPACE_HOUR
        ):
            raise VerificationRateLimited(
                "Too many verification messages this hour. Try again later."
            )
        token = secrets.token_urlsafe(32)
        verification = FromAddressVerification.objects.create(
            channel=channel,
            address=address,
            token_hash=_token_hash(token),
            sent_at=now,
            expires_at=now + VERIFICATION_TTL,
        )
        link = settings.SITE_URL + reverse(
            "channels_cfg:verify_from_address",
            args=[signing.dumps({"v": verification.pk, "t": token}, salt=_VERIFICATION_SALT)],
        )
        message = _verification_message(channel=channel, address=address, link=link)
        queue_system_email(message)
    return verification


def _verification_message(*, channel: EmailChannel, address: str, link: str) -> EmailMessage:
    body = (
        f"Someone asked to send {channel.company_name}'s helpdesk replies from {address}.\n\n"
        f"If that was you, confirm by opening this link (valid for 24 hours, once):\n{link}\n\n"
        "If you did not ask for this, ignore this message: nothing will be sent from your address."
    )
    return EmailMessage(
        subject=f"Verify {address} as a from address",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={LOOP_HEADER: loop_header_value(), "Auto-Submitted": "auto-generated"},
    )


def from_address_verify(*, signed_token: str, now: datetime) -> FromAddressVerification:
    """Use a verification link once: marks the address (and the channel, if unchanged) verified."""
    try:
        payload = signing.loads(signed_token, salt=_VERIFICATION_SALT)
        verification_id, token = int(payload["v"]), str(payload["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise VerificationLinkInvalid("This verification link is not valid.") from error
    with transaction.atomic():
        verification = (
            FromAddressVerification.objects.select_for_update()
            .filter(pk=verification_id, token_hash=_token_hash(token))
            .select_related("channel")
            .first()
        )
        if verification is None:
            raise VerificationLinkInvalid("This verification link is not valid.")
        if verification.verified_at is not None:
            raise VerificationLinkInvalid("This verification link was already used.")
        if verification.expires_at <= now:
            raise VerificationLinkInvalid(
                "This verification link has expired. Send a new one from the channel settings."
            )
        verification.verified_at = now
        verification.save(update_fields=["verified_at"])
        channel = verification.channel
        if channel.custom_from_address.lower() == verification.address.lower():
            channel.from_address_verified_at = now
            channel.save(update_fields=["from_address_verified_at"])
    return verification


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
        problems.append(_from_name_taken_message(channel.company_name) + " Change it in step 1.")
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
            raise ChannelNotReady([_from_name_taken_message(channel.company_name)]) from error
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


def channel_test_email_recipient(channel: EmailChannel) -> str:
    """Where the test mail goes: the team mailbox, or the mailbox that asked to forward."""
    if channel.team_address:
        return channel.team_address
    confirmation = selectors.confirmation_latest_get(channel)
    return confirmation.requested_by if confirmation and confirmation.requested_by else ""


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


def channel_send_test_email(
    *, channel: EmailChannel, sender_full_name: str, now: datetime
) -> EmailChannel:
    """Mail the team mailbox; when forwarding brings it back, the pipeline records its return."""
    recipient = channel_test_email_recipient(channel)
    if not recipient:
        raise WizardError(
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
        message = EmailMessage(
            subject=f"Helpdesk test email ({now:%Y-%m-%d %H:%M} UTC)",
            body=(
                "This is a test from your helpdesk. If forwarding works, it comes back to the "
                "helpdesk and the channel settings page says so. You can delete it."
            ),
            from_email=f"{channel.from_name_for(sender_full_name)} <{channel.from_address}>",
            to=[recipient],
            headers={
                "Message-ID": make_test_message_id(
                    token=token, domain=channel.workspace.hosted_domain
                ),
                LOOP_HEADER: loop_header_value(),
                "Auto-Submitted": "auto-generated",
            },
        )
        queue_system_email(message)
    return channel
