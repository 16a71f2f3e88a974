"""Replies: stored at once as an outbound Message ("sending"), then sent by a Celery task.

A send is claimed on the row (state checked, `send_started_at` set in one conditional UPDATE)
before any byte leaves, and the Message-ID is derived from the row's primary key, so a retry,
a redelivered task or a double click can never become a second, different mail
(RELIABILITY.md rows 19 and 21).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr, getaddresses

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from channels_cfg.models import EmailChannel
from channels_cfg.signature import render_signature, signature_text
from helpdesk.html_text import html_to_text
from helpdesk.mail_ids import LOOP_HEADER, loop_header_value, make_outbound_message_id
from helpdesk.models import Agent
from inbox.mail_providers import is_hosted_domain
from inbox.models import Attachment, Message, Thread
from inbox.selectors.threads import inbox_changed, max_attachment_bytes
from inbox.tracking import tracking_metadata

logger = logging.getLogger(__name__)

COMPOSER_TAGS = {
    "p",
    "br",
    "div",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ul",
    "ol",
    "li",
    "a",
    "blockquote",
}
# A claim older than the task time limit belongs to a worker that died mid-send.
STALE_CLAIM = timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", 300) + 60)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ReplyRefused(Exception):
    """A reply that cannot be sent as written; the message is shown beside the composer."""


@dataclass(frozen=True)
class ReplyBody:
    html: str
    text: str


def sanitize_composer_html(value: str) -> str:
    return nh3.clean(
        value or "",
        tags=COMPOSER_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    ).strip()


def text_to_html(value: str) -> str:
    paragraphs = [part for part in re.split(r"\n\s*\n", value.strip()) if part.strip()]
    return "".join("<p>" + html.escape(part).replace("\n", "<br>") + "</p>" for part in paragraphs)


def reply_body(
    *, body_html: str, body_text: str, channel: EmailChannel | None, agent: Agent
) -> ReplyBody:
    """The reply as sent: the agent's text, then the team signature with their names."""
    content = sanitize_composer_html(body_html) if body_html.strip() else text_to_html(body_text)
    if not html_to_text(content):
        raise ReplyRefused("Write a reply before sending.")
    signature = ""
    if channel is not None and channel.signature_html:
        signature = render_signature(
            channel.signature_html, full_name=agent.full_name, first_name=agent.first_name
        )
    full_html = content + (f'<div class="signature">{signature}</div>' if signature else "")
    text = html_to_text(content)
    if signature:
        text += "\n\n-- \n" + signature_text(signature)
    return ReplyBody(html=full_html, text=text)


def from_header(*, channel: EmailChannel | None, agent: Agent) -> tuple[str, str]:
    """(display name, address) exactly as the contact will see them; no control characters."""
    if channel is None:
        return agent.workspace.company_name, settings.DEFAULT_FROM_EMAIL
    name = _CONTROL.sub("", channel.from_name_for(agent.full_name))
    return name, channel.from_address


def _threading(thread: Thread) -> tuple[str, str]:
    """In-Reply-To (the newest message with an id) and References (the thread's ids in order)."""
    ids = list(
        Message.objects.filter(thread_id=thread.pk)
        .exclude(message_id="")
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)
    )
    ids = [value.strip() for value in ids if value.strip()]
    return (ids[-1] if ids else ""), " ".join(ids[-20:])


def _reply_subject(subject: str) -> str:
    return subject if re.match(r"(?i)^\s*re:", subject) else f"Re: {subject}".strip()


MAX_CC = 20
# One entry of a Cc list: up to a comma or semicolon that is not inside a quoted name
# ("Doe, Jane" <jane@example.com>).
_CC_ENTRY = re.compile(r'(?:"[^"]*"|[^,;"])+')


def cc_addresses(value: str, *, contact_email: str) -> list[str]:
    """The Cc field of the composer as addresses: "a@x, Name <b@y>; c@z".

    Each must be a valid address (a clear error names the one that is not); control
    characters are refused rather than cleaned, so nothing can smuggle in a header; the
    contact (already the To) and repeats are dropped.
    """
    if _CONTROL.search(value.replace("\t", " ")):
        raise ReplyRefused("Cc may hold addresses only, separated by commas.")
    found: list[str] = []
    for part in _CC_ENTRY.findall(value):
        part = part.strip()
        if not part:
            continue
        pairs = getaddresses([part])
        address = pairs[0][1].strip().lower() if len(pairs) == 1 else ""
        try:
            validate_email(address)
        except ValidationError:
            raise ReplyRefused(f"“{part[:80]}” in Cc is not an email address.") from None
        if address != contact_email.lower() and address not in found:
            found.append(address)
    if len(found) > MAX_CC:
        raise ReplyRefused(f"Cc may hold at most {MAX_CC} addresses.")
    return found


def reply_cc_default(
    messages: Sequence[Message], *, contact_email: str, channel: EmailChannel | None
) -> str:
    """What the composer's Cc starts with: the Cc of the customer's latest mail (of `messages`,
    the thread's, oldest first), so the people they copied stay in the conversation; never our
    own addresses or the contact. Nothing after a forward or an automatic mail, whose Cc is not
    the customer's."""
    latest = next(
        (
            message
            for message in reversed(messages)
            if message.direction == Message.Direction.IN
            and not message.is_auto_reply
            and not message.is_bounce
        ),
        None,
    )
    if latest is None or latest.attributed_via not in {"from_header", "auto_forward"}:
        return ""
    ours = {settings.DEFAULT_FROM_EMAIL.lower(), contact_email.lower()}
    if channel is not None:
        ours |= {channel.from_address.lower(), channel.team_address.lower()}
    kept = [
        address
        for address in dict.fromkeys(a.lower() for _, a in getaddresses([latest.cc]) if "@" in a)
        if address not in ours and not is_hosted_domain(address.rpartition("@")[2])
    ]
    return ", ".join(kept[:MAX_CC])


def reply_create(
    *,
    thread: Thread,
    agent: Agent,
    body_html: str = "",
    body_text: str = "",
    cc: str = "",
    files: list[UploadedFile] | None = None,
    now: datetime | None = None,
) -> Message:
    """Store the reply as "sending" and queue its send once the transaction commits."""
    files = files or []
    if sum(upload.size or 0 for upload in files) > max_attachment_bytes():
        limit_mb = max_attachment_bytes() / (1024 * 1024)
        raise ReplyRefused(f"Attachments may total at most {limit_mb:.0f} MB.")
    if thread.contact is None:
        raise ReplyRefused("This thread has no contact to reply to.")
    copied = cc_addresses(cc, contact_email=thread.contact.email)
    now = now or timezone.now()
    channel = thread.channel
    body = reply_body(body_html=body_html, body_text=body_text, channel=channel, agent=agent)
    name, address = from_header(channel=channel, agent=agent)
    in_reply_to, references = _threading(thread)
    with transaction.atomic():
        message = Message.objects.create(
            workspace_id=thread.workspace_id,
            thread=thread,
            direction=Message.Direction.OUT,
            from_email=address,
            from_name=name,
            to=thread.contact.email,
            cc=", ".join(copied),
            subject=_reply_subject(thread.subject),
            text=body.text,
            html=body.html,
            in_reply_to=in_reply_to,
            references=references,
            sent_by_id=agent.user_id,
            delivery_status=Message.DeliveryStatus.SENDING,
            created_at=now,
        )
        domain = address.rpartition("@")[2] or settings.HOSTED_INBOX_DOMAIN
        message.message_id = make_outbound_message_id(
            thread_id=thread.pk, domain=domain, nonce=str(message.pk)
        )
        message.save(update_fields=["message_id"])
        for upload in files:
            Attachment.objects.create(
                message=message,
                filename=(upload.name or "attachment")[:255],
                content_type=upload.content_type or "application/octet-stream",
                size=upload.size or 0,
                file=upload,
            )
        Thread.objects.filter(pk=thread.pk).update(
            last_message_at=now,
            message_count=F("message_count") + 1,
            snippet=body.text[:200],
        )
        _queue_send(message.pk, thread.workspace_id)
    return message


def _queue_send(message_id: int, workspace_id: int) -> None:
    from inbox.tasks import send_message

    transaction.on_commit(lambda: send_message.delay(message_id))
    transaction.on_commit(lambda: inbox_changed(workspace_id=workspace_id))


# A reply still "sending" this long after it was stored was never picked up (its on-commit
# callback was lost, or the broker was down): the agent may queue it again.
UNCLAIMED_TOO_LONG = timedelta(minutes=5)


def is_stuck(message: Message, now: datetime) -> bool:
    """A "sending" reply no worker holds: never claimed for a while, or its claim went stale."""
    if message.delivery_status != Message.DeliveryStatus.SENDING:
        return False
    if message.send_started_at is None:
        return message.created_at < now - UNCLAIMED_TOO_LONG
    return message.send_started_at < now - STALE_CLAIM


def message_retry(*, message: Message, now: datetime | None = None) -> bool:
    """Queue a failed (or stuck) reply again; False when it is sent or a worker is on it."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = Message.objects.filter(
            pk=message.pk,
            direction=Message.Direction.OUT,
            delivery_status=Message.DeliveryStatus.FAILED,
        ).update(delivery_status=Message.DeliveryStatus.SENDING, send_started_at=None)
        # A stuck reply keeps its state: the claim in message_send still allows one send only.
        if updated or is_stuck(message, now):
            _queue_send(message.pk, message.workspace_id)
            return True
    return False


def _claim(message_id: int, now: datetime) -> bool:
    """Take the send for this process; False if it is sent, failed, or another worker has it."""
    return bool(
        Message.objects.filter(
            pk=message_id,
            direction=Message.Direction.OUT,
            delivery_status=Message.DeliveryStatus.SENDING,
        )
        .filter(Q(send_started_at__isnull=True) | Q(send_started_at__lt=now - STALE_CLAIM))
        .update(send_started_at=now, delivery_attempts=F("delivery_attempts") + 1)
    )


def build_email(message: Message) -> EmailMultiAlternatives:
    """The MIME mail of an outbound Message: our From, threading headers, the loop marker."""
    headers = {
        "Message-ID": message.message_id,
        LOOP_HEADER: loop_header_value(),
    }
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    email = EmailMultiAlternatives(
        subject=_CONTROL.sub(" ", message.subject),
        body=message.text,
        from_email=formataddr((_CONTROL.sub("", message.from_name), message.from_email)),
        to=[message.to],
        cc=[address.strip() for address in message.cc.split(",") if address.strip()],
        headers=headers,
    )
    # Delivery events the ESP posts later (a bounce after acceptance) find the reply by this.
    email.metadata = tracking_metadata(message)  # type: ignore[attr-defined]
    if message.html:
        email.attach_alternative(message.html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            email.attach(attachment.filename, handle.read(), attachment.content_type)
    return email


def message_send(*, message_id: int, now: datetime | None = None) -> str:
    """Send a claimed reply through Django's email backend; returns the resulting state."""
    now = now or timezone.now()
    if not _claim(message_id, now):
        return "skipped"
    message = Message.objects.select_related("thread").get(pk=message_id)
    try:
        build_email(message).send(fail_silently=False)
    except Exception as error:
        logger.warning("reply %s failed to send: %s", message_id, type(error).__name__)
        detail = f"{type(error).__name__}: {error}"
        if isinstance(error, TimeoutError):
            # The ESP may have accepted it before the timeout (RELIABILITY.md row 21): never
            # resend on our own; an agent's Retry re-sends with the same Message-ID.
            detail = f"No answer from the mail server in time; it may have been delivered. {detail}"
        Message.objects.filter(pk=message_id).update(
            delivery_status=Message.DeliveryStatus.FAILED, delivery_error=detail[:2000]
        )
        inbox_changed(workspace_id=message.workspace_id)
        return "failed"
    Message.objects.filter(pk=message_id).update(
        delivery_status=Message.DeliveryStatus.SENT, sent_at=timezone.now(), delivery_error=""
    )
    inbox_changed(workspace_id=message.workspace_id)
    return "sent"
