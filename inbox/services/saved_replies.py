"""Writes of saved replies: create, edit, delete (personal ones by their owner, shared ones by
admins) and use (filled in for a thread, counted)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.db.models.fields.files import FieldFile

from helpdesk.html_text import html_to_text
from helpdesk.models import Agent
from helpdesk.refusals import Refused
from inbox.models import SavedReply, SavedReplyAttachment, Thread
from inbox.outbound.compose import sanitize_composer_html
from inbox.saved_reply_tokens import render_tokens
from inbox.selectors.saved_replies import token_values_get
from inbox.selectors.threads import max_attachment_bytes

NAME_MAX_LENGTH = 120


def is_saved_reply_editable(*, agent: Agent, saved_reply: SavedReply) -> bool:
    """Shared replies are the admins'; a personal one is its owner's alone."""
    if saved_reply.workspace_id != agent.workspace_id:
        return False
    if saved_reply.owner_id is None:
        return agent.is_admin
    return saved_reply.owner_id == agent.user_id


def _clean(*, agent: Agent, name: str, body_html: str, shared: bool) -> tuple[str, str]:
    name = " ".join(name.split())
    if not name:
        raise Refused("Give the saved reply a name.", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise Refused(f"Keep the name under {NAME_MAX_LENGTH} characters.", field="name")
    body = sanitize_composer_html(body_html)
    if not html_to_text(body).strip():
        raise Refused("Write the text of the saved reply.", field="body")
    if shared and not agent.is_admin:
        raise Refused("Only an admin can share a saved reply with the workspace.", field="shared")
    return name, body


def _attach(saved_reply: SavedReply, files: Sequence[UploadedFile]) -> None:
    total = sum(item.size for item in saved_reply.attachments.all()) + sum(
        upload.size or 0 for upload in files
    )
    if total > max_attachment_bytes():
        limit_mb = max_attachment_bytes() / (1024 * 1024)
        raise Refused(f"Attachments may total at most {limit_mb:.0f} MB.", field="attachments")
    for upload in files:
        SavedReplyAttachment.objects.create(
            saved_reply=saved_reply,
            file=upload,
            filename=(upload.name or "attachment")[:255],
            content_type=upload.content_type or "application/octet-stream",
            size=upload.size or 0,
        )


def saved_reply_create(
    *,
    agent: Agent,
    name: str,
    body_html: str,
    shared: bool,
    files: Sequence[UploadedFile] = (),
) -> SavedReply:
    """A new saved reply, shared with the workspace (admins only) or personal to `agent`."""
    name, body = _clean(agent=agent, name=name, body_html=body_html, shared=shared)
    with transaction.atomic():
        saved_reply = SavedReply.objects.create(
            workspace_id=agent.workspace_id,
            owner_id=None if shared else agent.user_id,
            name=name,
            body_html=body,
        )
        _attach(saved_reply, files)
    return saved_reply


def saved_reply_update(
    *,
    agent: Agent,
    saved_reply: SavedReply,
    name: str,
    body_html: str,
    shared: bool,
    files: Sequence[UploadedFile] = (),
    remove_attachment_ids: Sequence[int] = (),
) -> SavedReply:
    """Edit a saved reply `agent` may edit; sharing or unsharing is an admin's."""
    if not is_saved_reply_editable(agent=agent, saved_reply=saved_reply):
        raise Refused("You can edit only your own saved replies; shared ones are the admins'.")
    name, body = _clean(agent=agent, name=name, body_html=body_html, shared=shared)
    with transaction.atomic():
        saved_reply.name = name
        saved_reply.body_html = body
        if shared != saved_reply.is_shared:
            saved_reply.owner_id = None if shared else agent.user_id
        saved_reply.save(update_fields=["name", "body_html", "owner", "updated_at"])
        for attachment in saved_reply.attachments.filter(pk__in=list(remove_attachment_ids)):
            attachment.file.delete(save=False)
            attachment.delete()
        _attach(saved_reply, files)
    return saved_reply


def saved_reply_delete(*, agent: Agent, saved_reply: SavedReply) -> None:
    """Delete a saved reply `agent` may edit, with its files."""
    if not is_saved_reply_editable(agent=agent, saved_reply=saved_reply):
        raise Refused("You can delete only your own saved replies; shared ones are the admins'.")
    files = [attachment.file for attachment in saved_reply.attachments.all()]
    with transaction.atomic():
        saved_reply.delete()
        transaction.on_commit(lambda: _delete_files(files))


def _delete_files(files: Sequence[FieldFile]) -> None:
    for file in files:
        file.delete(save=False)


def saved_reply_use(*, saved_reply: SavedReply, thread: Thread, agent: Agent) -> str:
    """The saved reply's body filled in for `thread`, its usage counted."""
    with transaction.atomic():
        SavedReply.objects.filter(pk=saved_reply.pk).update(usage_count=F("usage_count") + 1)
    return render_tokens(saved_reply.body_html, token_values_get(thread=thread, agent=agent))
