"""Reads behind merging and splitting: the conversations one may merge with, and the merges and
splits a conversation went through (with whether each can still be undone)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from helpdesk.models import Workspace
from inbox.models import Contact, Thread, ThreadEvent

CANDIDATE_LIMIT = 20
HISTORY_KINDS = (
    ThreadEvent.Kind.MERGED,
    ThreadEvent.Kind.UNMERGED,
    ThreadEvent.Kind.SPLIT,
    ThreadEvent.Kind.UNSPLIT,
)


def merge_candidates(*, workspace: Workspace, thread: Thread, query: str) -> list[Thread]:
    """Conversations of the workspace this one could merge with, newest first: by ticket or
    conversation number ("#12" or "12"), by subject or contact; without a query, the contact's
    other conversations."""
    candidates = Thread.objects.filter(
        workspace_id=workspace.pk, kind=Thread.Kind.CONVERSATION, is_spam=False
    ).exclude(pk=thread.pk)
    query = query.strip()
    number = query.lstrip("#")
    if not query:
        if thread.contact_id is None:
            return []
        candidates = candidates.filter(contact_id=thread.contact_id)
    elif number.isdigit():
        candidates = candidates.filter(Q(pk=int(number)) | Q(ticket__pk=int(number)))
    else:
        contacts = (
            Contact.objects.filter(workspace_id=workspace.pk)
            .filter(Q(email__icontains=query) | Q(name__icontains=query))
            .order_by()
            .values_list("id", flat=True)[:500]
        )
        candidates = candidates.filter(Q(subject__icontains=query) | Q(contact_id__in=contacts))
    return list(
        candidates.select_related("contact", "assignee", "ticket").order_by(
            "-last_message_at", "-id"
        )[:CANDIDATE_LIMIT]
    )


@dataclass(frozen=True)
class HistoryItem:
    """One merge or split of the conversation, as its page lists it."""

    event: ThreadEvent
    # The event an "Undo" acts on (on the conversation merged into, or split from) and its
    # conversation; None when there is nothing to undo here.
    undo_event_id: int | None
    undo_thread_id: int | None

    @property
    def message_count(self) -> int:
        return len(self.event.data.get("message_ids", []))


def merge_event_item(*, thread: Thread, event_pk: int) -> HistoryItem | None:
    """A merge or split event of the conversation, with the undo it still offers (two queries;
    the timeline asks only for these rare events)."""
    event = (
        ThreadEvent.objects.filter(thread_id=thread.pk, pk=event_pk, kind__in=HISTORY_KINDS)
        .select_related("actor")
        .first()
    )
    if event is None:
        return None
    undo_event_id, undo_thread_id = _undo_of(event, thread)
    if undo_event_id is not None:
        key = "merge_event_id" if event.kind == ThreadEvent.Kind.MERGED else "split_event_id"
        undo_kind = (
            ThreadEvent.Kind.UNMERGED
            if event.kind == ThreadEvent.Kind.MERGED
            else ThreadEvent.Kind.UNSPLIT
        )
        undone = ThreadEvent.objects.filter(
            workspace_id=thread.workspace_id, kind=undo_kind, **{f"data__{key}": undo_event_id}
        ).exists()
        if undone:
            undo_event_id = undo_thread_id = None
    return HistoryItem(event, undo_event_id, undo_thread_id)


def _undo_of(event: ThreadEvent, thread: Thread) -> tuple[int | None, int | None]:
    data = event.data
    if event.kind == ThreadEvent.Kind.MERGED and "source_thread_id" in data:
        return event.pk, thread.pk
    if event.kind == ThreadEvent.Kind.SPLIT and "new_thread_id" in data:
        return event.pk, thread.pk
    if event.kind == ThreadEvent.Kind.SPLIT and "split_event_id" in data:
        return int(data["split_event_id"]), int(data["from_thread_id"])
    return None, None
