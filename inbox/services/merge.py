"""Merge two threads and split messages out of one; each undone only from its recorded event.

Merge moves the newer thread's messages into the older one and keeps the newer thread as a
shell (kind MERGED, `merged_into`): its page redirects to the target, and mail that quotes one
of its Message-IDs threads into the target (inbox.selectors.inbound follows `merged_into`).
Everything an undo needs (the moved messages, the target's properties before) is stored in the
event's data, so the undo restores exactly that state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from helpdesk.html_text import html_to_text
from helpdesk.models import Agent, Team
from helpdesk.refusals import Refused
from inbox.models import Message, Note, Thread, ThreadEvent, Ticket
from inbox.selectors.threads import inbox_changed
from inbox.services import threads as thread_services
from inbox.services.events import thread_event_record
from inbox.services.inbound import ticket_create_for

# The properties an agent reconciles when two threads become one, in the order shown.
RECONCILED = ("status", "assignee", "ticket_status", "priority", "category", "owner")
TICKET_PROPERTIES = ("ticket_status", "priority", "category", "owner")
TARGET, SOURCE = "target", "source"


@dataclass(frozen=True)
class Properties:
    """A thread's reconcilable properties; the ticket ones are None when it has no ticket."""

    status: str
    assignee_id: int | None
    team_id: int | None
    has_ticket: bool
    ticket_status: str | None = None
    priority: str | None = None
    category: str | None = None
    owner_id: int | None = None


def _value(properties: Properties, name: str) -> object:
    if name == "assignee":
        return (properties.assignee_id, properties.team_id)
    if name == "owner":
        return properties.owner_id
    return getattr(properties, name)


def differences(target: Properties, source: Properties) -> tuple[str, ...]:
    """The reconciled properties on which the two threads differ (the agent chooses those)."""
    return tuple(name for name in RECONCILED if _value(target, name) != _value(source, name))


def reconcile(target: Properties, source: Properties, choices: Mapping[str, str]) -> Properties:
    """The merged thread's properties: each from the side chosen (the target's by default).

    The target gains a ticket only when a ticket property is taken from the source's ticket;
    a ticket property chosen from a side without a ticket keeps the other side's value.
    """
    if any(value not in (TARGET, SOURCE) for value in choices.values()):
        raise Refused("Choose which conversation each property comes from.")

    def side(name: str) -> tuple[Properties, Properties]:
        return (source, target) if choices.get(name) == SOURCE else (target, source)

    chosen, _ = side("assignee")
    result = replace(
        target,
        status=side("status")[0].status,
        assignee_id=chosen.assignee_id,
        team_id=chosen.team_id,
        has_ticket=target.has_ticket
        or (any(choices.get(name) == SOURCE for name in TICKET_PROPERTIES) and source.has_ticket),
    )
    if not result.has_ticket:
        return result
    values: dict[str, Any] = {}
    for name in TICKET_PROPERTIES:
        attribute = "owner_id" if name == "owner" else name
        first, other = side(name)
        values[attribute] = getattr(first if first.has_ticket else other, attribute)
    return replace(result, **values)


def properties_of(thread: Thread) -> Properties:
    ticket = Ticket.objects.filter(thread_id=thread.pk).first()
    return Properties(
        status=thread.status,
        assignee_id=thread.assignee_id,
        team_id=thread.assigned_team_id,
        has_ticket=ticket is not None,
        ticket_status=ticket.status if ticket else None,
        priority=ticket.priority if ticket else None,
        category=ticket.category if ticket else None,
        owner_id=ticket.owner_id if ticket else None,
    )


def merge_order(first: Thread, second: Thread) -> tuple[Thread, Thread]:
    """(target, source): the newer thread goes into the older one."""
    return (
        (first, second)
        if (first.created_at, first.pk) <= (second.created_at, second.pk)
        else (
            second,
            first,
        )
    )


def _changed(workspace_id: int) -> None:
    transaction.on_commit(lambda: inbox_changed(workspace_id=workspace_id))


def _actor_id(by: Agent | None) -> int | None:
    return by.user_id if by is not None else None


def _locked(workspace_id: int, *pks: int) -> dict[int, Thread]:
    """The threads, re-read under a row lock so a concurrent merge or split waits for us."""
    rows = Thread.objects.select_for_update().filter(workspace_id=workspace_id, pk__in=pks)
    found = {thread.pk: thread for thread in rows.order_by("pk")}
    if len(found) != len(set(pks)):
        raise Refused("That conversation is not in this workspace.")
    return found


def _check_conversation(thread: Thread) -> None:
    if thread.kind == Thread.Kind.MERGED:
        raise Refused(f"Conversation #{thread.pk} has already been merged into another one.")
    if thread.kind != Thread.Kind.CONVERSATION:
        raise Refused("Only conversations can be merged or split.")


def recount(thread: Thread) -> None:
    """Message count, last message time and snippet, from the messages the thread holds now."""
    messages = Message.objects.filter(thread_id=thread.pk)
    totals = messages.aggregate(count=Count("id"), last=Max("created_at"))
    last = messages.order_by("-created_at", "-id").only("text", "html").first()
    thread.message_count = totals["count"]
    thread.last_message_at = totals["last"] or thread.last_message_at
    if last is not None:
        text = last.text[:2000] or html_to_text(last.html[:20_000])
        thread.snippet = " ".join(text.split())[:200]
    else:
        thread.snippet = ""
    thread.save(update_fields=["message_count", "last_message_at", "snippet"])


def _agent(thread: Thread, user_id: int | None) -> Agent | None:
    """The workspace's agent of that login (None when nobody, or when they have left)."""
    if user_id is None:
        return None
    return Agent.objects.filter(workspace_id=thread.workspace_id, user_id=user_id).first()


def _apply_properties(thread: Thread, wanted: Properties, *, by: Agent | None) -> None:
    """Set the thread's properties through the usual services, so each change is an event the
    timeline and the reports see (a close stays a close)."""
    current = properties_of(thread)
    if wanted.status != current.status:
        thread_services.thread_set_status(thread=thread, status=wanted.status, by=by)
    if (wanted.assignee_id, wanted.team_id) != (current.assignee_id, current.team_id):
        assignee = _agent(thread, wanted.assignee_id)
        team = (
            Team.objects.filter(workspace_id=thread.workspace_id, pk=wanted.team_id).first()
            if wanted.team_id is not None
            else None
        )
        thread_services.thread_assign(thread=thread, assignee=assignee, team=team, by=by)
    if not wanted.has_ticket:
        Ticket.objects.filter(thread_id=thread.pk).delete()
        return
    changes = {
        "status": wanted.ticket_status,
        "priority": wanted.priority,
        "category": wanted.category,
    }
    owner = _agent(thread, wanted.owner_id)
    thread_services.ticket_update(
        thread=thread,
        changes={name: value for name, value in changes.items() if value is not None},
        owner=owner,
        by=by,
    )


def _move_contents(*, source: Thread, into: Thread) -> dict[str, list[int]]:
    """Move the source's messages and notes into the other thread, and the threads merged into
    the source before; returns their ids, which an undo moves back."""
    moved = {
        "message_ids": list(
            Message.objects.filter(thread_id=source.pk).order_by("id").values_list("pk", flat=True)
        ),
        # The agents' internal notes are part of the conversation: they move with its mail.
        "note_ids": list(Note.objects.filter(thread_id=source.pk).values_list("pk", flat=True)),
        # Threads merged earlier into the source lead to the target: one hop, never a chain.
        "repointed_thread_ids": list(
            Thread.objects.filter(merged_into_id=source.pk).values_list("pk", flat=True)
        ),
    }
    Message.objects.filter(pk__in=moved["message_ids"]).update(thread_id=into.pk)
    Note.objects.filter(pk__in=moved["note_ids"]).update(thread_id=into.pk)
    Thread.objects.filter(pk__in=moved["repointed_thread_ids"]).update(merged_into_id=into.pk)
    return moved


def thread_merge(
    *,
    thread: Thread,
    other: Thread,
    choices: Mapping[str, str],
    by: Agent | None,
    now: datetime | None = None,
) -> Thread:
    """Merge the newer of the two threads into the older and return the older one.

    `choices` maps each property of RECONCILED that differs to "target" or "source".
    """
    if thread.workspace_id != other.workspace_id:
        raise Refused("That conversation is not in this workspace.")
    if thread.pk == other.pk:
        raise Refused("A conversation cannot be merged with itself.")
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(thread.workspace_id, thread.pk, other.pk)
        target, source = merge_order(locked[thread.pk], locked[other.pk])
        for each in (target, source):
            _check_conversation(each)
        target_before = properties_of(target)
        wanted = reconcile(target_before, properties_of(source), choices)
        moved = _move_contents(source=source, into=target)
        source.kind = Thread.Kind.MERGED
        source.merged_into = target
        source.save(update_fields=["kind", "merged_into"])
        event = thread_event_record(
            thread=target,
            kind=ThreadEvent.Kind.MERGED,
            actor_id=_actor_id(by),
            at=now,
            data={
                "source_thread_id": source.pk,
                "source_subject": source.subject,
                **moved,
                "target_before": asdict(target_before),
            },
        )
        thread_event_record(
            thread=source,
            kind=ThreadEvent.Kind.MERGED,
            actor_id=_actor_id(by),
            at=now,
            data={"into_thread_id": target.pk, "merge_event_id": event.pk},
        )
        _apply_properties(target, wanted, by=by)
        recount(target)
        recount(source)
        _changed(target.workspace_id)
    return target


def is_undone(event: ThreadEvent) -> bool:
    """Whether this merge or split has been undone already."""
    merged = event.kind == ThreadEvent.Kind.MERGED
    undo_kind = ThreadEvent.Kind.UNMERGED if merged else ThreadEvent.Kind.UNSPLIT
    key = "merge_event_id" if merged else "split_event_id"
    return ThreadEvent.objects.filter(
        thread_id=event.thread_id, kind=undo_kind, **{f"data__{key}": event.pk}
    ).exists()


def undo_check(event: ThreadEvent, *, threads: Mapping[int, Thread]) -> None:
    """Refuse an undo that would not restore the recorded state."""
    if is_undone(event):
        raise Refused("This has been undone already.")
    here = threads[event.thread_id]
    if here.kind == Thread.Kind.MERGED:
        raise Refused(
            f"This conversation has since been merged into #{here.merged_into_id}; "
            "undo that merge first."
        )
    if event.kind == ThreadEvent.Kind.MERGED:
        source = threads[event.data["source_thread_id"]]
        if source.merged_into_id != here.pk:
            raise Refused("The merged conversation has changed since; this merge cannot be undone.")
    else:
        split_off = threads[event.data["new_thread_id"]]
        if split_off.kind == Thread.Kind.MERGED:
            raise Refused(
                f"Conversation #{split_off.pk} has since been merged into "
                f"#{split_off.merged_into_id}; undo that merge first."
            )


def undoable_event(thread: Thread, event_pk: int) -> ThreadEvent:
    """The merge or split event of this thread that an agent may ask to undo."""
    event = ThreadEvent.objects.filter(
        thread_id=thread.pk,
        pk=event_pk,
        kind__in=(ThreadEvent.Kind.MERGED, ThreadEvent.Kind.SPLIT),
    ).first()
    if event is None or not ({"source_thread_id", "new_thread_id"} & set(event.data)):
        raise Refused("There is nothing to undo here.")
    return event


def thread_unmerge(*, event: ThreadEvent, by: Agent | None, now: datetime | None = None) -> Thread:
    """Undo a merge recorded on the target: the moved messages and the merged conversation come
    back, and the target gets its properties of before. Returns the restored conversation."""
    data = event.data
    now = now or timezone.now()
    with transaction.atomic():
        threads = _locked(event.workspace_id, event.thread_id, data["source_thread_id"])
        undo_check(event, threads=threads)
        target, source = threads[event.thread_id], threads[data["source_thread_id"]]
        Message.objects.filter(pk__in=data["message_ids"], thread_id=target.pk).update(
            thread_id=source.pk
        )
        Note.objects.filter(pk__in=data.get("note_ids", []), thread_id=target.pk).update(
            thread_id=source.pk
        )
        Thread.objects.filter(pk__in=data["repointed_thread_ids"], merged_into_id=target.pk).update(
            merged_into_id=source.pk
        )
        source.kind = Thread.Kind.CONVERSATION
        source.merged_into = None
        source.save(update_fields=["kind", "merged_into"])
        record = {"merge_event_id": event.pk, "source_thread_id": source.pk}
        for each in (target, source):
            thread_event_record(
                thread=each,
                kind=ThreadEvent.Kind.UNMERGED,
                actor_id=_actor_id(by),
                at=now,
                data={**record, "target_thread_id": target.pk},
            )
        _apply_properties(target, Properties(**data["target_before"]), by=by)
        recount(target)
        recount(source)
        _changed(target.workspace_id)
    return source


def split_message_ids(message: Message, *, with_later: bool) -> list[int]:
    """The messages a split moves: this one, and with `with_later` the ones after it."""
    if not with_later:
        return [message.pk]
    later = Q(created_at__gt=message.created_at) | Q(
        created_at=message.created_at, pk__gte=message.pk
    )
    return list(
        Message.objects.filter(later, thread_id=message.thread_id)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )


def message_split(
    *, message: Message, with_later: bool, by: Agent | None, now: datetime | None = None
) -> Thread:
    """Move the message (and with `with_later` the later ones) into a new conversation with its
    own ticket; returns the new conversation."""
    now = now or timezone.now()
    with transaction.atomic():
        thread = _locked(message.workspace_id, message.thread_id)[message.thread_id]
        _check_conversation(thread)
        moving = split_message_ids(message, with_later=with_later)
        if Message.objects.filter(thread_id=thread.pk).exclude(pk__in=moving).count() == 0:
            raise Refused("A split must leave at least one message in this conversation.")
        new = _split_thread(thread, message)
        Message.objects.filter(pk__in=moving, thread_id=thread.pk).update(thread_id=new.pk)
        event = thread_event_record(
            thread=thread,
            kind=ThreadEvent.Kind.SPLIT,
            actor_id=_actor_id(by),
            at=now,
            data={"new_thread_id": new.pk, "new_subject": new.subject, "message_ids": moving},
        )
        thread_event_record(
            thread=new,
            kind=ThreadEvent.Kind.SPLIT,
            actor_id=_actor_id(by),
            at=now,
            data={"from_thread_id": thread.pk, "split_event_id": event.pk, "message_ids": moving},
        )
        recount(thread)
        recount(new)
        _changed(thread.workspace_id)
    return new


def _split_thread(thread: Thread, message: Message) -> Thread:
    """The new conversation: the same contact, channel and assignment, and a ticket of its own.
    It starts when its first message arrived, as it would have had it come on its own."""
    new = Thread.objects.create(
        workspace_id=thread.workspace_id,
        channel_id=thread.channel_id,
        contact_id=thread.contact_id,
        subject=(message.subject or thread.subject)[:998],
        assignee_id=thread.assignee_id,
        assigned_team_id=thread.assigned_team_id,
        last_message_at=message.created_at,
    )
    Thread.objects.filter(pk=new.pk).update(created_at=message.created_at)
    new.created_at = message.created_at
    if thread.channel is not None:
        ticket_create_for(thread=new, channel=thread.channel, subject=new.subject)
    else:
        Ticket.objects.create(thread=new, name=new.subject or "(no subject)")
    return new


def thread_unsplit(*, event: ThreadEvent, by: Agent | None, now: datetime | None = None) -> Thread:
    """Undo a split recorded on the conversation it was split from: every message of the split-off
    conversation comes back, and that conversation becomes a merged shell (its Message-IDs keep
    threading here). Returns the conversation split from."""
    data = event.data
    now = now or timezone.now()
    with transaction.atomic():
        threads = _locked(event.workspace_id, event.thread_id, data["new_thread_id"])
        undo_check(event, threads=threads)
        original, split_off = threads[event.thread_id], threads[data["new_thread_id"]]
        moved = _move_contents(source=split_off, into=original)
        split_off.kind = Thread.Kind.MERGED
        split_off.merged_into = original
        split_off.save(update_fields=["kind", "merged_into"])
        for each in (original, split_off):
            thread_event_record(
                thread=each,
                kind=ThreadEvent.Kind.UNSPLIT,
                actor_id=_actor_id(by),
                at=now,
                data={"split_event_id": event.pk, "original_thread_id": original.pk, **moved},
            )
        recount(original)
        recount(split_off)
        _changed(original.workspace_id)
    return original


def event_undo(*, event: ThreadEvent, by: Agent | None) -> Thread:
    """Undo a merge or a split; returns the conversation to show afterwards."""
    if event.kind == ThreadEvent.Kind.MERGED:
        return thread_unmerge(event=event, by=by)
    return thread_unsplit(event=event, by=by)
