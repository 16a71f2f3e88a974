"""New outbound email: an agent starts a conversation from one of the workspace's channels.

The thread, its contact (the first To address, matched or created) and the outbound Message
are stored in one transaction; the Message goes out through the same send task as a reply (the
claim, the Message-ID derived from the row and signed with the thread, bounce handling), so the
customer's answer threads back into this thread by its In-Reply-To / References.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from channels_cfg.models import EmailChannel
from helpdesk.html_text import html_to_text
from helpdesk.models import Agent
from inbox.models import Message
from inbox.outbound import compose
from inbox.outbound.compose import ReplyRefused, address_list
from inbox.selectors.threads import max_attachment_bytes
from inbox.services import outbound
from inbox.services.inbound import contact_upsert, thread_create, ticket_create_for
from inbox.services.ticket_status import ticket_follow_agent_reply

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class NewEmail:
    """What the agent wrote in the "New email" form."""

    to: str
    cc: str
    subject: str
    body_html: str = ""
    body_text: str = ""


def sending_channels(*, agent: Agent) -> list[EmailChannel]:
    """The channels a new email may go out from: the workspace's connected team channels."""
    return list(
        EmailChannel.objects.filter(
            workspace_id=agent.workspace_id, status=EmailChannel.Status.CONNECTED
        )
        .select_related("workspace")
        .order_by("name", "company_name", "id")
    )


def new_email_check(email: NewEmail, *, files: list[UploadedFile]) -> tuple[list[str], list[str]]:
    """(to, cc) addresses of a new email that may be sent; ReplyRefused names what is wrong,
    with the form field it belongs to."""
    to = address_list(email.to, label="To", field="to")
    if not to:
        raise ReplyRefused("Add the address to send this email to.", field="to")
    cc = address_list(email.cc, label="Cc", field="cc", exclude=tuple(to))
    if not _CONTROL.sub("", email.subject).strip():
        raise ReplyRefused("Write a subject.", field="subject")
    body = compose.sanitize_composer_html(email.body_html) if email.body_html.strip() else ""
    if not html_to_text(body or compose.text_to_html(email.body_text)):
        raise ReplyRefused("Write a message before sending.", field="body")
    if sum(upload.size or 0 for upload in files) > max_attachment_bytes():
        limit_mb = max_attachment_bytes() / (1024 * 1024)
        raise ReplyRefused(f"Attachments may total at most {limit_mb:.0f} MB.", field="attachments")
    return to, cc


def new_email_send(
    *,
    agent: Agent,
    channel: EmailChannel,
    email: NewEmail,
    files: list[UploadedFile] | None = None,
    now: datetime | None = None,
) -> Message:
    """Start a conversation: a new thread (assigned to `agent`, with a ticket when the channel
    makes them) whose first message is ours, queued for sending once the transaction commits."""
    files = files or []
    if (
        channel.workspace_id != agent.workspace_id
        or channel.status != EmailChannel.Status.CONNECTED
    ):
        raise ReplyRefused("Choose a connected channel of this workspace.", field="channel")
    to, cc = new_email_check(email, files=files)
    subject = _CONTROL.sub(" ", email.subject).strip()[:998]
    from_name, from_email = outbound.from_header(channel=channel, agent=agent)
    signature_html, signature_images = outbound.signature_inline_images(
        outbound.reply_signature(channel=channel, agent=agent), workspace_id=channel.workspace_id
    )
    # Images pasted or dropped into the editor go as inline parts (cid:), as in a reply.
    body_html, body_images = compose.composer_inline_images(
        email.body_html, content_id_suffix=uuid.uuid4().hex
    )
    inline_images = [*body_images, *signature_images]
    body = compose.reply_body(
        body_html=body_html,
        body_text=email.body_text,
        signature_html=signature_html,
        inline_images=True,
    )
    mail = compose.Reply(
        from_name=from_name,
        from_email=from_email,
        to=", ".join(to),
        cc=tuple(cc),
        subject=subject,
        text=body.text,
        html=body.html,
    )
    now = now or timezone.now()
    with transaction.atomic():
        contact = contact_upsert(workspace_id=channel.workspace_id, email=to[0], name="")
        thread = thread_create(
            channel=channel,
            contact=contact,
            subject=subject,
            snippet=body.text,
            assignee_id=agent.user_id,
            now=now,
        )
        if channel.create_tickets:
            ticket_create_for(thread=thread, channel=channel, subject=subject)
            # As after a reply: the conversation now waits on the contact.
            ticket_follow_agent_reply(thread=thread, by=agent, now=now)
        message = outbound._reply_store(
            mail, thread=thread, agent=agent, files=files, inline_images=inline_images, now=now
        )
        outbound._queue_send(message.pk, thread.workspace_id)
    return message
