"""Undo send: a reply waits its workspace's grace period (`Message.send_after`) before any task
may claim it (inbox.services.outbound), and until a task claims it its author may take it back.

The undo is one conditional DELETE on the row: it succeeds only while the reply is "sending"
and unclaimed, and the claim is one conditional UPDATE on the same row, so exactly one of the two
wins. An undone reply has no row left, so a task that runs later (its timer, a broker's eta, the
sweeper) finds nothing to claim and sends nothing.
"""

from __future__ import annotations

import base64
import html as html_lib
import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from helpdesk.models import Agent, Workspace
from helpdesk.refusals import Refused
from inbox.models import Attachment, Message, Thread
from inbox.selectors.threads import inbox_changed
from inbox.services.ticket_status import ticket_follow_reply_undone

logger = logging.getLogger(__name__)

# reply_body (inbox.outbound.compose) puts the team signature after the agent's text in this
# element; the sanitized composer HTML keeps no class attribute, so it cannot contain one.
_SIGNATURE_START = '<div class="signature">'
_TEXT_SIGNATURE_START = "\n\n-- \n"


class UndoRefused(Refused):
    """The reply can no longer be taken back (a worker is sending it, or it is gone)."""


@dataclass(frozen=True)
class UndoneReply:
    """What the agent wrote, to put back in the composer."""

    thread_id: int
    html: str
    text: str
    cc: str
    had_attachments: bool


def seconds_left(message: Message, *, now: datetime) -> int:
    """Whole seconds before the reply's grace period ends (0 when it is due or has none)."""
    if message.send_after is None or message.send_after <= now:
        return 0
    return int(-(-(message.send_after - now).total_seconds() // 1))  # rounded up


def is_undoable(message: Message, *, now: datetime) -> bool:
    """A reply still inside its grace period: the thread shows "Sending in N s, Undo"."""
    return (
        message.direction == Message.Direction.OUT
        and message.delivery_status == Message.DeliveryStatus.SENDING
        and message.send_started_at is None
        and seconds_left(message, now=now) > 0
    )


def reply_undo(*, message: Message, by: Agent, now: datetime | None = None) -> UndoneReply:
    """Take back an unsent reply of `by`: its row is deleted unless a task already claimed it.

    Refused when someone else wrote it, or when its send has started (or it is sent).
    """
    now = now or timezone.now()
    if message.sent_by_id != by.user_id:
        raise UndoRefused("Only the agent who wrote this reply can undo it.")
    undone = _body_without_signature(message)
    attachments = list(message.attachments.all())
    body_html = _images_as_data_urls(undone[0], attachments)
    file_names = [attachment.file.name for attachment in attachments if attachment.file.name]
    with transaction.atomic():
        deleted, _ = Message.objects.filter(
            pk=message.pk,
            direction=Message.Direction.OUT,
            delivery_status=Message.DeliveryStatus.SENDING,
            send_started_at__isnull=True,
        ).delete()
        if not deleted:
            raise UndoRefused("Too late to undo: this reply is already being sent.")
        _thread_after_removal(message.thread_id)
        # The ticket goes back to the status this reply moved it from (status follows).
        ticket_follow_reply_undone(
            thread=Thread(pk=message.thread_id, workspace_id=message.workspace_id),
            reply_at=message.created_at,
            by=by,
            now=now,
        )
        workspace_id = message.workspace_id
        transaction.on_commit(lambda: inbox_changed(workspace_id=workspace_id))
        transaction.on_commit(lambda: _delete_files(file_names))
    logger.info("reply %s undone", message.pk)
    return UndoneReply(
        thread_id=message.thread_id,
        html=body_html,
        text=undone[1],
        cc=message.cc,
        had_attachments=any(not attachment.is_inline for attachment in attachments),
    )


def _body_without_signature(message: Message) -> tuple[str, str]:
    html = message.html.split(_SIGNATURE_START, 1)[0] if message.html else ""
    text = message.text.split(_TEXT_SIGNATURE_START, 1)[0]
    return html, text


def _images_as_data_urls(body_html: str, attachments: list[Attachment]) -> str:
    """The composer's pasted images (sent as `cid:` parts) back as the `data:` URLs the editor
    holds them as, read before their files are deleted; an unreadable one is left out."""
    for attachment in attachments:
        reference = f'src="cid:{html_lib.escape(attachment.content_id)}"'
        if not attachment.is_inline or reference not in body_html:
            continue
        try:
            with attachment.file.open("rb") as handle:
                encoded = base64.b64encode(handle.read()).decode()
        except OSError:
            continue
        body_html = body_html.replace(
            reference, f'src="data:{attachment.content_type};base64,{encoded}"'
        )
    return body_html


def _thread_after_removal(thread_id: int) -> None:
    """The thread's counters and preview as if the undone reply had never been stored."""
    latest = (
        Message.objects.filter(thread_id=thread_id)
        .order_by("-created_at", "-id")
        .values("created_at", "text")
        .first()
    )
    changes: dict[str, object] = {"message_count": Greatest(F("message_count") - 1, 0)}
    if latest is not None:
        changes |= {"last_message_at": latest["created_at"], "snippet": latest["text"][:200]}
    Thread.objects.filter(pk=thread_id).update(**changes)


def _delete_files(names: list[str]) -> None:
    """The undone reply's uploads, unless another attachment row still points at one."""
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        if Attachment.objects.filter(file=name).exists():
            continue
        try:
            storage.delete(name)
        except OSError:
            logger.warning("could not delete an undone reply's attachment file", exc_info=True)


MAX_UNDO_SEND_SECONDS = 60


def undo_send_seconds_set(*, workspace: Workspace, seconds: int) -> None:
    """Set how long the workspace's replies wait before they are sent (0: at once)."""
    if not 0 <= seconds <= MAX_UNDO_SEND_SECONDS:
        raise Refused(
            f"Choose between 0 and {MAX_UNDO_SEND_SECONDS} seconds.", field="undo_send_seconds"
        )
    workspace.undo_send_seconds = seconds
    workspace.save(update_fields=["undo_send_seconds"])
