"""Writes of the inbound pipeline: applying a Decision, recording a refusal.

Called by `inbox.inbound.pipeline` inside its transaction (the ledger row is locked there).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import connection
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from channels_cfg.models import EmailChannel, ForwardingConfirmation
from helpdesk.mail_ids import LOOP_HEADER, loop_header_value
from helpdesk.models import Agent
from helpdesk.system_mail import queue_system_email
from inbox.inbound.attribute import Attribution
from inbox.inbound.content import Content
from inbox.inbound.parse import ParsedEmail
from inbox.inbound.sanitize import sanitize
from inbox.inbound.validate import Rejection
from inbox.models import Attachment, Contact, InboundEmail, Message, Thread, Ticket


def inbound_record_rejection(
    *,
    row: InboundEmail,
    rejection: Rejection,
    parsed: ParsedEmail,
    channel: EmailChannel | None,
    now: datetime,
) -> None:
    """Mark the ledger row rejected with its reason (the message itself stays stored)."""
    row.status = InboundEmail.Status.REJECTED
    row.reason_code, row.reason_detail = rejection.code, rejection.sentence
    _fill_row(row, parsed, channel, now)


def inbound_record_outcome(
    *,
    row: InboundEmail,
    status: str,
    detail: str,
    parsed: ParsedEmail,
    channel: EmailChannel,
    now: datetime,
) -> None:
    row.status, row.reason_code, row.reason_detail = status, "", detail
    if status == InboundEmail.Status.DUPLICATE:
        row.reason_code = "duplicate"
    _fill_row(row, parsed, channel, now)


def _fill_row(
    row: InboundEmail, parsed: ParsedEmail, channel: EmailChannel | None, now: datetime
) -> None:
    row.from_header = (parsed.header("from") or parsed.from_email)[:998]
    row.subject = parsed.subject[:998]
    row.processed_at = now
    if channel is not None:
        row.channel, row.workspace_id = channel, channel.workspace_id
    row.save(
        update_fields=[
            "status", "reason_code", "reason_detail", "from_header", "subject",
            "processed_at", "channel", "workspace",
        ]
    )  # fmt: skip


def contact_upsert(*, workspace_id: int, email: str, name: str) -> Contact | None:
    """The workspace's contact for this address (created if new; its name filled when unknown).

    One statement in the common cases, and safe against workers creating the same contact at
    once: the insert yields to the unique (lower(email), workspace) index.
    """
    if not email:
        return None
    email, name = email.lower()[:320], name[:255]
    upserted = _contact_upsert_row(workspace_id, email, name)
    if upserted is not None:
        return Contact(pk=upserted[0], workspace_id=workspace_id, email=email, name=upserted[1])
    return (  # it exists and already has a name (or we have none to give it)
        Contact.objects.annotate(lower_email=Lower("email"))
        .filter(workspace_id=workspace_id, lower_email=email)
        .first()
    )


def _contact_upsert_row(workspace_id: int, email: str, name: str) -> tuple[int, str] | None:
    # PostgreSQL and SQLite (>= 3.35) both take an expression index as the conflict target and
    # RETURNING; the row comes back when inserted or when its empty name was filled.
    table = Contact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS existing (workspace_id, email, name, created_at) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (lower(email), workspace_id) DO UPDATE "
            "SET name = excluded.name WHERE existing.name = '' AND excluded.name <> '' "
            "RETURNING id, name",
            [workspace_id, email, name, timezone.now()],
        )
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else None


def message_store(
    *,
    row: InboundEmail,
    thread: Thread,
    parsed: ParsedEmail,
    attribution: Attribution,
    content: Content,
    is_auto_reply: bool,
    is_bounce: bool,
    bounce_of: Message | None,
    now: datetime,
) -> Message:
    """Store the inbound message, its attachments in Django storage, and its sanitized HTML."""
    html = sanitize(content.html)
    message = Message.objects.create(
        workspace_id=thread.workspace_id,
        thread=thread,
        direction=Message.Direction.IN,
        message_id=parsed.message_id,
        in_reply_to=" ".join(parsed.in_reply_to)[:998],
        references=" ".join(parsed.references),
        from_email=attribution.from_email[:320],
        from_name=attribution.from_name[:255],
        forwarded_by=attribution.forwarded_by[:320],
        attributed_via=attribution.via,
        attribution_rule=attribution.rule[:100],
        sender_warnings=list(attribution.warnings),
        forwarder_note=attribution.forwarder_note[:100_000],
        to=parsed.to,
        cc=parsed.cc,
        subject=content.subject,
        text=content.text,
        html=html,
        is_auto_reply=is_auto_reply,
        is_bounce=is_bounce,
        bounce_of=bounce_of,
        content_digest=content.digest,
        inbound=row,
        created_at=now,
    )
    if parsed.attachments:
        _store_attachments(message, parsed)
    return message


def _store_attachments(message: Message, parsed: ParsedEmail) -> None:
    attachments = []
    for part in parsed.attachments:
        attachment = Attachment(
            message=message,
            filename=part.filename,
            content_type=part.content_type,
            size=len(part.payload),
            content_id=part.content_id,
            is_inline=part.is_inline,
        )
        attachment.file.save(part.filename, ContentFile(part.payload), save=False)
        attachments.append(attachment)
    # cid: references stay in the stored HTML: the thread page embeds those images from these
    # attachments (inbox.rendering), the only way a sandboxed message frame can show them.
    Attachment.objects.bulk_create(attachments)


def thread_create(
    *,
    channel: EmailChannel,
    contact: Contact | None,
    subject: str,
    snippet: str,
    kind: str = Thread.Kind.CONVERSATION,
    forwarding_confirmation: ForwardingConfirmation | None = None,
    now: datetime,
) -> Thread:
    return Thread.objects.create(
        workspace_id=channel.workspace_id,
        channel=channel,
        contact=contact,
        subject=subject[:998],
        snippet=snippet[:200],
        kind=kind,
        forwarding_confirmation=forwarding_confirmation,
        last_message_at=now,
        message_count=1,
    )


def thread_touch(*, thread_id: int, reopen: bool, snippet: str, now: datetime) -> Thread:
    """A new message arrived on the thread: count it, move it up, reopen it if asked."""
    thread = Thread.objects.select_for_update().get(pk=thread_id)
    thread.message_count += 1
    thread.last_message_at = max(thread.last_message_at, now)
    thread.snippet = snippet[:200]
    if reopen:
        thread.status = Thread.Status.OPEN
    thread.save(update_fields=["message_count", "last_message_at", "snippet", "status"])
    return thread


def ticket_create_for(*, thread: Thread, channel: EmailChannel, subject: str) -> Ticket:
    """A ticket named by the subject, with the channel's default properties."""
    return Ticket.objects.create(
        thread=thread,
        name=(subject or "(no subject)")[:998],
        pipeline=channel.ticket_pipeline,
        status=channel.ticket_status,
        priority=channel.ticket_priority,
        category=channel.ticket_category,
        owner_id=thread.assignee_id,
    )


def next_in_rotation(candidate_ids: list[int], last_id: int | None) -> int | None:
    """Round robin: the first candidate after the last one served (by id), wrapping around."""
    if not candidate_ids:
        return None
    ordered = sorted(set(candidate_ids))
    if last_id is None:
        return ordered[0]
    return next((cid for cid in ordered if cid > last_id), ordered[0])


def thread_auto_assign(
    *, thread: Thread, channel: EmailChannel, contact: Contact | None, preview: str = ""
) -> None:
    """Assign a new thread per the channel's rule; the rotation cursor is shared by all workers.
    `preview` is the message's text, whose first lines an away contact owner is mailed."""
    if channel.assign_mode == EmailChannel.AssignMode.CONTACT_OWNER:
        _assign_contact_owner(thread, channel, contact, preview)
        return
    locked = EmailChannel.objects.select_for_update().get(pk=channel.pk)
    user_ids = set(locked.assign_users.values_list("pk", flat=True))
    user_ids.update(locked.assign_teams.values_list("members__pk", flat=True))
    user_ids.discard(None)
    available = list(
        Agent.objects.filter(
            workspace_id=channel.workspace_id,
            user_id__in=user_ids,
            availability=Agent.Availability.AVAILABLE,
            user__is_active=True,
        ).values_list("user_id", flat=True)
    )
    chosen = next_in_rotation(available, locked.round_robin_last_user_id)
    if chosen is None:
        return
    locked.round_robin_last_user_id = chosen
    locked.save(update_fields=["round_robin_last_user_id"])
    Thread.objects.filter(pk=thread.pk).update(assignee_id=chosen)
    thread.assignee_id = chosen


def _assign_contact_owner(
    thread: Thread, channel: EmailChannel, contact: Contact | None, preview: str
) -> None:
    if contact is None or contact.owner_id is None:
        return
    agent = (
        Agent.objects.select_related("user")
        .filter(workspace_id=channel.workspace_id, user_id=contact.owner_id, user__is_active=True)
        .first()
    )
    if agent is None:
        return
    Thread.objects.filter(pk=thread.pk).update(assignee_id=agent.user_id)
    thread.assignee_id = agent.user_id
    if agent.availability == Agent.Availability.AWAY and agent.user.email:
        email = EmailMessage(
            subject=f"New conversation while you are away: {thread.subject or '(no subject)'}"[
                :200
            ],
            body=away_notice_body(
                sender=str(contact),
                channel_name=channel.company_name or channel.name,
                subject=thread.subject,
                preview=preview,
                url=settings.SITE_URL + reverse("inbox:thread", args=[thread.pk]),
            ),
            to=[agent.user.email],
            headers={LOOP_HEADER: loop_header_value(), "Auto-Submitted": "auto-generated"},
        )
        queue_system_email(email)


PREVIEW_LINES = 8
PREVIEW_CHARS = 600


def away_notice_body(
    *, sender: str, channel_name: str, subject: str, preview: str, url: str
) -> str:
    """What an away owner reads without opening the inbox: who wrote, about what, how it starts."""
    lines: list[str] = []
    for line in preview.strip().splitlines():
        line = line.rstrip()
        if line or (lines and lines[-1]):  # no runs of blank lines
            lines.append(line)
        if len([kept for kept in lines if kept]) >= PREVIEW_LINES:
            break
    start = "\n".join(lines).strip()
    if len(start) > PREVIEW_CHARS:
        start = start[:PREVIEW_CHARS].rstrip() + "…"
    quoted = "\n".join(f"> {line}" if line else ">" for line in start.splitlines())
    return (
        f"{sender} wrote to {channel_name}. The conversation is assigned to you as the "
        "contact's owner, and you are away.\n\n"
        f"From: {sender}\nSubject: {subject or '(no subject)'}\n\n"
        f"{quoted or '> (no text)'}\n\n"
        f"Open the conversation:\n{url}\n"
    )


def outbound_mark_bounced(*, message: Message, detail: str) -> None:
    Message.objects.filter(pk=message.pk).update(
        delivery_status=Message.DeliveryStatus.FAILED, delivery_error=detail[:2000]
    )
