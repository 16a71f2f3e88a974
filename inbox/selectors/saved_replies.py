"""Reads of saved replies: what an agent may see (the workspace's shared ones and their own),
and the values a thread gives the tokens."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db.models import Q, QuerySet

from helpdesk.models import Agent
from inbox.models import SavedReply, SavedReplyAttachment, Thread, Ticket
from inbox.saved_reply_tokens import TokenValues

logger = logging.getLogger(__name__)

# The picker shows this many matches; the management page pages nothing (a team has dozens).
PICKER_LIMIT = 20
# Files of saved replies one reply may take along.
MAX_FILES = 20


def saved_reply_list_visible(*, agent: Agent, query: str = "") -> QuerySet[SavedReply]:
    """The saved replies `agent` may insert: shared ones and their own, by name; `query`
    matches the name or the body."""
    replies = SavedReply.objects.filter(workspace_id=agent.workspace_id).filter(
        Q(owner__isnull=True) | Q(owner_id=agent.user_id)
    )
    query = query.strip()
    if query:
        replies = replies.filter(Q(name__icontains=query) | Q(body_html__icontains=query))
    return replies.order_by("name", "id")


def saved_reply_list_for_picker(*, agent: Agent, query: str = "") -> list[SavedReply]:
    """The composer's picker: names starting with `query` first, then other matches."""
    query = query.strip().lower()
    replies = list(
        saved_reply_list_visible(agent=agent).filter(name__icontains=query)[: PICKER_LIMIT * 2]
        if query
        else saved_reply_list_visible(agent=agent)[:PICKER_LIMIT]
    )
    replies.sort(key=lambda reply: (not reply.name.lower().startswith(query), reply.name.lower()))
    return replies[:PICKER_LIMIT]


def saved_reply_get_visible(*, agent: Agent, pk: int) -> SavedReply | None:
    """One saved reply `agent` may see, or None (another workspace's, someone's personal one)."""
    return (
        saved_reply_list_visible(agent=agent).prefetch_related("attachments").filter(pk=pk).first()
    )


def token_values_get(*, thread: Thread, agent: Agent) -> TokenValues:
    """What the tokens stand for in `thread`, answered by `agent`."""
    ticket_id = Ticket.objects.filter(thread_id=thread.pk).values_list("pk", flat=True).first()
    channel = thread.channel
    return TokenValues(
        contact_name=thread.contact.name if thread.contact else "",
        agent_first_name=agent.user.first_name,
        agent_full_name=agent.user.get_full_name(),
        ticket_id=str(ticket_id) if ticket_id else "",
        channel_name=(channel.name or channel.company_name) if channel else "",
    )


def saved_reply_files(*, agent: Agent, ids: Sequence[str]) -> list[UploadedFile]:
    """The files of the saved replies `agent` may see, by id, read to go with a reply; ids of
    others (another workspace's, someone's personal reply) are ignored."""
    wanted = [int(value) for value in ids if str(value).isdigit()][:MAX_FILES]
    if not wanted:
        return []
    visible = saved_reply_list_visible(agent=agent)
    files: list[UploadedFile] = []
    for attachment in SavedReplyAttachment.objects.filter(pk__in=wanted, saved_reply__in=visible):
        try:
            with attachment.file.open("rb") as handle:
                content = handle.read()
        except OSError:
            logger.warning("saved reply file %s is gone; left out of the reply", attachment.pk)
            continue
        files.append(
            SimpleUploadedFile(attachment.filename, content, content_type=attachment.content_type)
        )
    return files
