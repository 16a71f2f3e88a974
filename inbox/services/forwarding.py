"""Forward a message, or a whole thread, to any address, with a note on top.

The forward is an outbound Message of the same thread (`is_forward`), sent by the same task as a
reply (the claim, bounce handling) with a Message-ID of ours derived from the row and signed with
the thread: an answer from the address it went to threads back into this thread. It carries the
forwarded mail's attachments, and a `forwarded` ThreadEvent records it in the timeline.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from helpdesk.html_text import html_to_text
from helpdesk.models import Agent
from inbox.models import Attachment, Message, Thread, ThreadEvent
from inbox.outbound import compose
from inbox.outbound.compose import ReplyRefused, address_list
from inbox.selectors.threads import max_attachment_bytes
from inbox.services import outbound
from inbox.services.events import thread_event_record

_FORWARD_PREFIX = re.compile(r"(?i)^\s*(fwd?|tr|wg):")
SEPARATOR = "---------- Forwarded message ---------"


def forward_subject(subject: str) -> str:
    return subject if _FORWARD_PREFIX.match(subject) else f"Fwd: {subject}".strip()


def forwarded_block(message: Message) -> compose.ReplyBody:
    """One forwarded mail as HTML and text: the header lines mail clients write, then its body."""
    headers = [
        (
            "From",
            f"{message.from_name} <{message.from_email}>"
            if message.from_name
            else message.from_email,
        ),
        ("Date", timezone.localtime(message.created_at).strftime("%a, %d %b %Y at %H:%M")),
        ("Subject", message.subject),
        ("To", message.to),
    ]
    if message.cc:
        headers.append(("Cc", message.cc))
    header_html = "<br>".join(f"{name}: {html.escape(value)}" for name, value in headers if value)
    body_html = message.html or compose.text_to_html(message.text)
    text_headers = "\n".join(f"{name}: {value}" for name, value in headers if value)
    return compose.ReplyBody(
        html=f'<div class="forwarded"><p>{SEPARATOR}<br>{header_html}</p>{body_html}</div>',
        text=f"{SEPARATOR}\n{text_headers}\n\n{message.text or html_to_text(body_html)}",
    )


def forward_body(
    *, note_text: str, signature_html: str, forwarded: Sequence[compose.ReplyBody]
) -> compose.ReplyBody:
    """The note (may be empty), the signature, then each forwarded mail, oldest first."""
    note_html = compose.text_to_html(note_text)
    parts_html = [note_html] if note_html else []
    parts_text = [html_to_text(note_html)] if note_html else []
    if signature_html:
        parts_html.append(f'<div class="signature">{signature_html}</div>')
        parts_text.append(f"-- \n{html_to_text(signature_html)}")
    parts_html += [block.html for block in forwarded]
    parts_text += [block.text for block in forwarded]
    return compose.ReplyBody(html="".join(parts_html), text="\n\n".join(parts_text))


def _forwarded_messages(message: Message, *, whole_thread: bool) -> list[Message]:
    if not whole_thread:
        return [message]
    return list(
        Message.objects.filter(thread_id=message.thread_id, workspace_id=message.workspace_id)
        .exclude(is_forward=True)
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def message_forward(
    *,
    message: Message,
    agent: Agent,
    to: str,
    note: str = "",
    whole_thread: bool = False,
    now: datetime | None = None,
) -> Message:
    """Forward `message` (or its whole thread) to the addresses in `to`, with `note` on top;
    queued for sending once the transaction commits, and recorded as a `forwarded` event."""
    if message.workspace_id != agent.workspace_id:
        raise ReplyRefused("That message is not in this workspace.")
    thread: Thread = message.thread
    recipients = address_list(to, label="To", field="to")
    if not recipients:
        raise ReplyRefused("Add the address to forward to.", field="to")
    forwarded = _forwarded_messages(message, whole_thread=whole_thread)
    attachments = [a for m in forwarded for a in m.attachments.all()]
    if sum(a.size for a in attachments) > max_attachment_bytes():
        limit_mb = max_attachment_bytes() / (1024 * 1024)
        advice = (
            "forward a single message instead" if whole_thread else "send the files another way"
        )
        raise ReplyRefused(
            f"The attachments of what you forward exceed {limit_mb:.0f} MB: {advice}.",
            field="whole_thread",
        )
    from_name, from_email = outbound.from_header(channel=thread.channel, agent=agent)
    signature_html, inline_images = outbound.signature_inline_images(
        outbound.reply_signature(channel=thread.channel, agent=agent),
        workspace_id=thread.workspace_id,
    )
    body = forward_body(
        note_text=note,
        signature_html=signature_html,
        forwarded=[forwarded_block(m) for m in forwarded],
    )
    mail = compose.Reply(
        from_name=from_name,
        from_email=from_email,
        to=", ".join(recipients),
        cc=(),
        subject=forward_subject(thread.subject or message.subject),
        text=body.text,
        html=body.html,
    )
    now = now or timezone.now()
    with transaction.atomic():
        forward = outbound._reply_store(
            mail,
            thread=thread,
            agent=agent,
            files=[],
            inline_images=inline_images,
            now=now,
            is_forward=True,
        )
        _copy_attachments(attachments, to=forward)
        Thread.objects.filter(pk=thread.pk).update(message_count=F("message_count") + 1)
        thread_event_record(
            thread=thread,
            kind=ThreadEvent.Kind.FORWARDED,
            actor_id=agent.user_id,
            at=now,
            data={
                "to": recipients,
                "message_ids": [m.pk for m in forwarded],
                "forward_id": forward.pk,
                "whole_thread": whole_thread,
            },
        )
        outbound._queue_send(forward.pk, thread.workspace_id)
    return forward


def _copy_attachments(attachments: Sequence[Attachment], *, to: Message) -> None:
    """The forwarded mail's attachments on the forward, sharing their stored files (never
    deleted while a row points at them); inline images keep their Content-ID for `cid:`."""
    Attachment.objects.bulk_create(
        Attachment(
            message=to,
            filename=a.filename,
            content_type=a.content_type,
            size=a.size,
            file=a.file.name,
            content_id=a.content_id,
            is_inline=a.is_inline,
        )
        for a in attachments
    )
