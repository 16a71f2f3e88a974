"""Verifying a channel's custom from address: a single-use, expiring, signed link mailed to it,
rate-limited per channel and per workspace."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse

from channels_cfg.models import EmailChannel, FromAddressVerification
from helpdesk.mail_ids import LOOP_HEADER, loop_header_value
from helpdesk.refusals import Refused
from helpdesk.system_mail import queue_system_email

VERIFICATION_TTL = timedelta(hours=24)
VERIFICATION_MIN_INTERVAL = timedelta(seconds=60)
VERIFICATION_MAX_PER_HOUR = 5
VERIFICATION_MAX_PER_WORKSPACE_HOUR = 20
_VERIFICATION_SALT = "channels_cfg.from-address-verification"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refused(message: str) -> Refused:
    return Refused(message, field="custom_from_address")


def from_address_verification_send(
    *, channel: EmailChannel, now: datetime
) -> FromAddressVerification:
    """Mail a single-use, expiring, signed link to the channel's custom from address."""
    address = channel.custom_from_address
    if channel.from_address_mode != EmailChannel.FromAddressMode.CUSTOM or not address:
        raise _refused("Enter the custom from address to verify first.")
    with transaction.atomic():
        EmailChannel.objects.select_for_update().filter(pk=channel.pk).first()
        _check_rate(channel, now=now)
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


def _check_rate(channel: EmailChannel, *, now: datetime) -> None:
    recent = FromAddressVerification.objects.filter(
        channel=channel, sent_at__gt=now - timedelta(hours=1)
    )
    latest = recent.order_by("-sent_at").first()
    if latest and latest.sent_at > now - VERIFICATION_MIN_INTERVAL:
        raise _refused(
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
        raise _refused("Too many verification messages this hour. Try again later.")


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
    """Use a verification link once: marks the address (and the channel, if unchanged) verified.
    Refused for a link that is forged, used or expired."""
    try:
        payload = signing.loads(signed_token, salt=_VERIFICATION_SALT)
        verification_id, token = int(payload["v"]), str(payload["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise Refused("This verification link is not valid.") from error
    with transaction.atomic():
        verification = (
            FromAddressVerification.objects.select_for_update()
            .filter(pk=verification_id, token_hash=_token_hash(token))
            .select_related("channel")
            .first()
        )
        if verification is None:
            raise Refused("This verification link is not valid.")
        if verification.verified_at is not None:
            raise Refused("This verification link was already used.")
        if verification.expires_at <= now:
            raise Refused(
                "This verification link has expired. Send a new one from the channel settings."
            )
        verification.verified_at = now
        verification.save(update_fields=["verified_at"])
        channel = verification.channel
        if channel.custom_from_address.lower() == verification.address.lower():
            channel.from_address_verified_at = now
            channel.save(update_fields=["from_address_verified_at"])
    return verification
