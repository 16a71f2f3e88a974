"""Verifying a channel's custom from address: a single-use, expiring, signed link mailed to it.

The mail goes to an address the admin typed, which may be anyone's, so it is limited per
channel, per workspace and per recipient address (from every workspace), and says nothing an
admin chose except a short, plain company name (docs/reliability.md, "Verification mails").
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse

from channels_cfg.models import EmailChannel, FromAddressVerification
from channels_cfg.selectors import RecentVerifications, verifications_recent
from helpdesk.mail_ids import LOOP_HEADER, loop_header_value
from helpdesk.models import Workspace
from helpdesk.refusals import Refused
from helpdesk.system_mail import queue_system_email

VERIFICATION_TTL = timedelta(hours=24)
VERIFICATION_MIN_INTERVAL = timedelta(seconds=60)
VERIFICATION_MAX_PER_HOUR = 5
VERIFICATION_MAX_PER_WORKSPACE_HOUR = 10
VERIFICATION_ADDRESS_MIN_INTERVAL = timedelta(minutes=1)
VERIFICATION_MAX_PER_ADDRESS_HOUR = 3
VERIFICATION_MAX_PER_ADDRESS_DAY = 6
MAIL_COMPANY_NAME_MAX_LENGTH = 40
# Letters (any script), digits, spaces and the punctuation of company names; no "@" or "/".
_PLAIN_COMPANY_NAME = re.compile(r"[^\W_]+(?:[ &'.,()-]+[^\W_]*)*")
# "evil.example", "www": a mail client would make it a link.
_DOMAIN_LIKE = re.compile(r"[^\W_]\.[^\W_]|\bwww\b", re.IGNORECASE)
_VERIFICATION_SALT = "channels_cfg.from-address-verification"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refused(message: str) -> Refused:
    return Refused(message, field="custom_from_address")


def from_address_verification_send(
    *, channel: EmailChannel, now: datetime
) -> FromAddressVerification:
    """Mail a single-use, expiring, signed link to the channel's custom from address.
    Refused when the channel, its workspace or the address had too many lately."""
    address = channel.custom_from_address
    if channel.from_address_mode != EmailChannel.FromAddressMode.CUSTOM or not address:
        raise _refused("Enter the custom from address to verify first.")
    with transaction.atomic():
        # One send at a time per workspace, so that parallel requests from many drafts are
        # counted one after another.
        Workspace.objects.select_for_update().filter(pk=channel.workspace_id).first()
        refusal = verification_refusal(
            verifications_recent(channel=channel, address=address, now=now), now=now
        )
        if refusal:
            raise _refused(refusal)
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


def verification_refusal(recent: RecentVerifications, *, now: datetime) -> str | None:
    """Why another verification mail may not go now, or None."""
    if recent.channel_latest and recent.channel_latest > now - VERIFICATION_MIN_INTERVAL:
        return (
            "A verification message was sent less than a minute ago. Wait a minute before "
            "sending another."
        )
    if (
        (recent.address_latest and recent.address_latest > now - VERIFICATION_ADDRESS_MIN_INTERVAL)
        or recent.address_last_hour >= VERIFICATION_MAX_PER_ADDRESS_HOUR
        or recent.address_last_day >= VERIFICATION_MAX_PER_ADDRESS_DAY
    ):
        return (
            "Too many verification messages were sent to this address lately. Try again "
            "later, or use the link in a message already sent."
        )
    if (
        recent.channel_last_hour >= VERIFICATION_MAX_PER_HOUR
        or recent.workspace_last_hour >= VERIFICATION_MAX_PER_WORKSPACE_HOUR
    ):
        return "Too many verification messages this hour. Try again later."
    return None


def mail_safe_company_name(company_name: str) -> str:
    """The company name if it is short and plain enough to put in a mail to a stranger, else "".

    Anything longer, or looking like a link or an address, is text an admin could use to make
    our mail say what they like to someone else."""
    name = " ".join(company_name.split())
    if (
        len(name) > MAIL_COMPANY_NAME_MAX_LENGTH
        or not _PLAIN_COMPANY_NAME.fullmatch(name)
        or _DOMAIN_LIKE.search(name)
    ):
        return ""
    return name


def _verification_message(*, channel: EmailChannel, address: str, link: str) -> EmailMessage:
    company_name = mail_safe_company_name(channel.company_name)
    who = f"the helpdesk of {company_name}" if company_name else "a helpdesk account"
    body = (
        f"Someone asked to send replies of {who} from {address}.\n\n"
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
