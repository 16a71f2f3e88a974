"""Replies: stored at once as an outbound Message ("sending"), then sent by a Celery task.

A send is claimed on the row (state checked, `send_started_at` set in one conditional UPDATE)
before any byte leaves, and the Message-ID is derived from the row's primary key, so a retry,
a redelivered task or a double click can never become a second, different mail
(docs/reliability.md, "A send that times out"). A reply whose task could not be queued (the
broker was down) or was lost waits, visibly, for `reply_requeue_unsent` on Celery beat
(docs/reliability.md, "Replies while the broker is down").
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from channels_cfg import dkim
from channels_cfg.models import EmailChannel, SignatureImage
from channels_cfg.selectors import dkim_signer_get
from channels_cfg.signature import render_signature, signature_image_ids, signature_image_src
from helpdesk.broker import queue_task
from helpdesk.mail_ids import loop_header_value, make_outbound_message_id
from helpdesk.mail_providers import hosted_domains
from helpdesk.models import Agent
from inbox.models import Attachment, Message, Notification, Thread
from inbox.outbound import compose
from inbox.outbound.compose import ReplyRefused
from inbox.selectors.outbound import unclaimed_reply_ids
from inbox.selectors.threads import inbox_changed, max_attachment_bytes
from inbox.services.notifications import notify
from inbox.services.ticket_status import ticket_follow_agent_reply
from inbox.tracking import tracking_metadata

logger = logging.getLogger(__name__)

# A claim older than the task time limit belongs to a worker that died mid-send.
STALE_CLAIM = timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", 300) + 60)
# Stored as the delivery error of a "sending" reply whose task the broker could not take, and
# shown to the agent as it is; the claim of its send clears it.
QUEUED_UNTIL_REACHABLE = "Queued: it will be sent when the mail service is reachable."


def from_header(*, channel: EmailChannel | None, agent: Agent) -> tuple[str, str]:
    """(display name, address) exactly as the contact will see them."""
    if channel is None:
        return agent.workspace.company_name, settings.DEFAULT_FROM_EMAIL
    return compose.from_header(
        name=channel.from_name_for(agent.full_name), address=channel.from_address
    )


def reply_signature(*, channel: EmailChannel | None, agent: Agent) -> str:
    """The channel's signature filled with the agent's names, or "" when it has none."""
    if channel is None or not channel.signature_html:
        return ""
    return render_signature(
        channel.signature_html, full_name=agent.full_name, first_name=agent.first_name
    )


def reply_cc_default(
    messages: Sequence[Message], *, contact_email: str, channel: EmailChannel | None
) -> str:
    """What the composer's Cc starts with (compose.reply_cc_default), for the thread's
    `messages`, oldest first."""
    ours = {settings.DEFAULT_FROM_EMAIL, contact_email}
    if channel is not None:
        ours |= {channel.from_address, channel.team_address}
    mails = [
        compose.ThreadMail(
            inbound=message.direction == Message.Direction.IN,
            automatic=message.is_auto_reply or message.is_bounce,
            attributed_via=message.attributed_via,
            cc=message.cc,
        )
        for message in messages
    ]
    return compose.reply_cc_default(mails, own_addresses=ours, own_domains=hosted_domains())


def _thread_message_ids(thread: Thread) -> list[str]:
    return list(
        Message.objects.filter(thread_id=thread.pk, is_forward=False)  # forwards went elsewhere
        .exclude(message_id="")
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)
    )


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
    from_name, from_email = from_header(channel=thread.channel, agent=agent)
    signature_html, inline_images = signature_inline_images(
        reply_signature(channel=thread.channel, agent=agent), workspace_id=thread.workspace_id
    )
    # Images pasted or dropped into the composer go as inline parts too (cid:), before them.
    body_html, body_images = compose.composer_inline_images(
        body_html, content_id_suffix=uuid.uuid4().hex
    )
    inline_images = [*body_images, *inline_images]
    reply = compose.compose_reply(
        inline_images=True,
        body_html=body_html,
        body_text=body_text,
        cc=cc,
        signature_html=signature_html,
        from_name=from_name,
        from_email=from_email,
        contact_email=thread.contact.email,
        thread_subject=thread.subject,
        thread_message_ids=_thread_message_ids(thread),
    )
    now = now or timezone.now()
    send_after = undo_send_deadline(agent=agent, now=now)
    with transaction.atomic():
        message = _reply_store(
            reply,
            thread=thread,
            agent=agent,
            files=files,
            inline_images=inline_images,
            now=now,
            send_after=send_after,
        )
        Thread.objects.filter(pk=thread.pk).update(
            last_message_at=now,
            message_count=F("message_count") + 1,
            snippet=reply.text[:200],
            woke_reason="",  # answered: the "Woke: ..." banner has done its job
        )
        # Status follows the conversation: the ticket now waits on the contact.
        ticket_follow_agent_reply(thread=thread, by=agent, now=now)
        _queue_send(message.pk, thread.workspace_id, eta=send_after)
    return message


def undo_send_deadline(*, agent: Agent, now: datetime) -> datetime | None:
    """When a reply stored `now` may be sent: after the workspace's undo grace period, or None
    (at once) when the workspace turned it off."""
    seconds = agent.workspace.undo_send_seconds
    return now + timedelta(seconds=seconds) if seconds else None


def _reply_store(
    reply: compose.Reply,
    *,
    thread: Thread,
    agent: Agent,
    files: list[UploadedFile],
    inline_images: Sequence[compose.AttachmentFile] = (),
    now: datetime,
    send_after: datetime | None = None,
    is_forward: bool = False,
) -> Message:
    """The outbound Message of `reply` with its attachments (the signature's images among them,
    inline), its Message-ID derived from its primary key."""
    message = Message.objects.create(
        workspace_id=thread.workspace_id,
        thread=thread,
        direction=Message.Direction.OUT,
        from_email=reply.from_email,
        from_name=reply.from_name,
        to=reply.to,
        cc=", ".join(reply.cc),
        subject=reply.subject,
        text=reply.text,
        html=reply.html,
        in_reply_to=reply.in_reply_to,
        references=reply.references,
        sent_by_id=agent.user_id,
        delivery_status=Message.DeliveryStatus.SENDING,
        created_at=now,
        send_after=send_after,
        is_forward=is_forward,
    )
    domain = reply.from_email.rpartition("@")[2] or settings.HOSTED_INBOX_DOMAIN
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
    # A copy per reply: the Message keeps what was sent even if the signature changes later,
    # and the thread shows it from the cid: like any inline image (inbox.rendering).
    for image in inline_images:
        Attachment.objects.create(
            message=message,
            filename=image.filename,
            content_type=image.content_type,
            size=len(image.content),
            file=ContentFile(image.content, name=image.filename),
            content_id=image.content_id,
            is_inline=True,
        )
    return message


def signature_inline_images(
    signature_html: str, *, workspace_id: int
) -> tuple[str, list[compose.AttachmentFile]]:
    """The rendered signature with its images as inline parts (`cid:`), their bytes read from
    storage; an image of another workspace, or one whose file is gone, is left out."""
    image_ids = signature_image_ids(signature_html)
    images: dict[str, compose.AttachmentFile] = {}
    for image in SignatureImage.objects.filter(
        pk__in=image_ids, channel__workspace_id=workspace_id
    ):
        try:
            with image.file.open("rb") as handle:
                content = handle.read()
        except OSError:
            logger.warning("signature image %s has no file; left out of the reply", image.pk)
            continue
        extension = image.content_type.partition("/")[2]
        images[signature_image_src(image.pk)] = compose.AttachmentFile(
            filename=f"signature-{image.pk}.{extension}",
            content=content,
            content_type=image.content_type,
            # "inline" is no real domain: some ESPs name the part after its Content-ID.
            content_id=f"signature-{image.pk}.{uuid.uuid4().hex}@inline",
        )
    return compose.inline_images(signature_html, images)


def _queue_send(message_id: int, workspace_id: int, *, eta: datetime | None = None) -> None:
    transaction.on_commit(lambda: queue_send(message_id, eta=eta))
    transaction.on_commit(lambda: inbox_changed(workspace_id=workspace_id))


def queue_send(message_id: int, *, eta: datetime | None = None) -> bool:
    """Hand a stored reply to the workers (to run at `eta`, its undo deadline, when given);
    False when the broker cannot take it.

    The reply is committed as "sending", so an outage only delays it: it is marked
    QUEUED_UNTIL_REACHABLE for the agent, and `reply_requeue_unsent` queues it later. Queueing
    a reply twice is harmless: the claim in `message_send` lets one send through.
    """
    from inbox.tasks import send_message

    if queue_task(send_message, message_id, description=f"reply #{message_id}", eta=eta):
        return True
    Message.objects.filter(
        pk=message_id,
        delivery_status=Message.DeliveryStatus.SENDING,
        send_started_at__isnull=True,
    ).update(delivery_error=QUEUED_UNTIL_REACHABLE)
    return False


def is_waiting_for_broker(message: Message) -> bool:
    """A "sending" reply whose task the broker could not take, not yet claimed by a worker."""
    return (
        message.delivery_status == Message.DeliveryStatus.SENDING
        and message.send_started_at is None
        and message.delivery_error == QUEUED_UNTIL_REACHABLE
    )


def reply_requeue_unsent(*, now: datetime) -> int:
    """Queue every reply left "sending" longer than OUTBOUND_REQUEUE_AFTER_SECONDS that no task
    claimed; returns how many were queued.

    Its task was never published (the broker was down), or was lost (the process died before
    its on-commit hook, Redis lost its data). Nothing of it has left: the claim is taken before
    the first byte, so sending it now is its first send, and a late task of the same reply finds
    the claim taken and skips. A claimed reply is never queued here, however old its claim: its
    worker died mid-send, the ESP may have accepted it, and the agent decides (`is_stuck`).
    """
    after = timedelta(seconds=settings.OUTBOUND_REQUEUE_AFTER_SECONDS)
    queued = 0
    for message_id in unclaimed_reply_ids(stored_before=now - after):
        if not queue_send(message_id):
            break  # the broker is still down: the next sweep tries again
        queued += 1
    return queued


# A reply still "sending" this long after it was stored was never picked up (its on-commit
# callback was lost, or the broker was down): the agent may queue it again.
UNCLAIMED_TOO_LONG = timedelta(minutes=5)


def is_stuck(message: Message, now: datetime) -> bool:
    """A "sending" reply no worker holds: never claimed for a while, or its claim went stale."""
    if message.delivery_status != Message.DeliveryStatus.SENDING:
        return False
    if message.send_started_at is None:
        # Counted from when it was due: a reply waiting out its undo grace period is not late.
        return (message.send_after or message.created_at) < now - UNCLAIMED_TOO_LONG
    return message.send_started_at < now - STALE_CLAIM


def message_retry(*, message: Message, now: datetime | None = None) -> bool:
    """Queue a failed (or stuck) reply again; False when it is sent or a worker is on it."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = Message.objects.filter(
            pk=message.pk,
            direction=Message.Direction.OUT,
            delivery_status=Message.DeliveryStatus.FAILED,
        ).update(
            delivery_status=Message.DeliveryStatus.SENDING, send_started_at=None, delivery_error=""
        )
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
        # Undo send: never before its grace period ends, whoever queued it (message_send defers).
        .filter(Q(send_after__isnull=True) | Q(send_after__lte=now))
        .update(
            send_started_at=now, delivery_attempts=F("delivery_attempts") + 1, delivery_error=""
        )
    )


def _defer_until_due(message_id: int, now: datetime) -> bool:
    """Queue again, at its undo deadline, an unclaimed reply whose task ran before it; False
    when that is not why it was not claimed (sent, failed, undone, or another worker has it)."""
    send_after = (
        Message.objects.filter(
            pk=message_id,
            delivery_status=Message.DeliveryStatus.SENDING,
            send_started_at__isnull=True,
            send_after__gt=now,
        )
        .values_list("send_after", flat=True)
        .first()
    )
    if send_after is None:
        return False
    queue_send(message_id, eta=send_after)
    return True


def build_email(message: Message) -> EmailMultiAlternatives:
    """The MIME mail of a stored outbound Message, DKIM-signed with its sending domain's key
    when the From is on a verified sending domain of the workspace."""
    email = _unsigned_email(message)
    signer = dkim_signer_get(workspace_id=message.workspace_id, address=message.from_email)
    return email if signer is None else dkim.signed(email, signer)


def _unsigned_email(message: Message) -> EmailMultiAlternatives:
    """The MIME mail of a stored outbound Message, its attachments read from storage."""
    reply = compose.Reply(
        from_name=message.from_name,
        from_email=message.from_email,
        to=message.to,
        cc=tuple(address.strip() for address in message.cc.split(",") if address.strip()),
        subject=message.subject,
        text=message.text,
        html=message.html,
        in_reply_to=message.in_reply_to,
        references=message.references,
    )
    return compose.build_email(
        reply,
        message_id=message.message_id,
        loop_header=loop_header_value(),
        metadata=tracking_metadata(message),
        attachments=[_attachment_file(attachment) for attachment in message.attachments.all()],
    )


def _attachment_file(attachment: Attachment) -> compose.AttachmentFile:
    with attachment.file.open("rb") as handle:
        content = handle.read()
    return compose.AttachmentFile(
        filename=attachment.filename,
        content=content,
        content_type=attachment.content_type,
        content_id=attachment.content_id if attachment.is_inline else "",
    )


def message_send(*, message_id: int, now: datetime | None = None) -> str:
    """Send a claimed reply through Django's email backend; returns the resulting state."""
    now = now or timezone.now()
    if not _claim(message_id, now):
        return "deferred" if _defer_until_due(message_id, now) else "skipped"
    message = Message.objects.select_related("thread").get(pk=message_id)
    try:
        build_email(message).send(fail_silently=False)
    except Exception as error:
        logger.warning("reply %s failed to send: %s", message_id, type(error).__name__)
        detail = f"{type(error).__name__}: {error}"
        if isinstance(error, TimeoutError):
            # The ESP may have accepted it before the timeout (docs/reliability.md, "A send that times out"): never
            # resend on our own; an agent's Retry re-sends with the same Message-ID.
            detail = f"No answer from the mail server in time; it may have been delivered. {detail}"
        with transaction.atomic():
            Message.objects.filter(pk=message_id).update(
                delivery_status=Message.DeliveryStatus.FAILED, delivery_error=detail[:2000]
            )
            if message.sent_by_id is not None:
                # The system reports the failure (actor None), so the sender is told.
                notify(
                    workspace_id=message.workspace_id, recipient_ids=[message.sent_by_id],
                    kind=Notification.Kind.DELIVERY_FAILED, thread_id=message.thread_id,
                    actor_id=None, data={"message_id": message_id},
                )  # fmt: skip
        inbox_changed(workspace_id=message.workspace_id)
        return "failed"
    Message.objects.filter(pk=message_id).update(
        delivery_status=Message.DeliveryStatus.SENT, sent_at=timezone.now(), delivery_error=""
    )
    inbox_changed(workspace_id=message.workspace_id)
    return "sent"
