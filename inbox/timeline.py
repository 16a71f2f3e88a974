"""A thread's timeline as the page shows it: messages, internal notes and one-line events
("Alice assigned this to Bob") interleaved by time. Pure functions over what
inbox.selectors.timeline loaded: no queries, no clock (`now` is passed in)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from channels_cfg.models import TicketCategory, TicketPipeline, TicketPriority, TicketStatus
from helpdesk.models import Agent
from inbox.models import Note, ThreadEvent
from inbox.selectors.timeline import TimelineData
from inbox.services.notes import is_deletable, is_editable

FORMER_AGENT = "a former agent"
TICKET_LABELS: dict[str, dict[str, str]] = {
    "pipeline": dict(TicketPipeline.choices),
    "status": dict(TicketStatus.choices),
    "priority": dict(TicketPriority.choices),
    "category": dict(TicketCategory.choices),
}


@dataclass(frozen=True)
class NoteAttachmentView:
    pk: int
    filename: str
    content_type: str
    size_label: str


@dataclass(frozen=True)
class NoteView:
    note: Note
    author_name: str
    html: SafeString
    attachments: list[NoteAttachmentView]
    mentions: list[str]
    can_edit: bool
    can_delete: bool
    timeline_kind: str = "note"

    @property
    def pk(self) -> int:
        return self.note.pk

    @property
    def at(self) -> datetime:
        return self.note.created_at


@dataclass(frozen=True)
class EventView:
    pk: int
    at: datetime
    kind: str
    sentence: str
    timeline_kind: str = "event"


def note_html(body: str, labels: Iterable[str]) -> SafeString:
    """The body escaped, its stored mentions ("@Name") shown as chips, line breaks kept.

    Only the labels of the note's Mention rows are highlighted: the text never decides who was
    mentioned. One pass over the longest labels first, so "@Bo" never splits "@Bob Smith"."""
    text = str(escape(body.replace("\r\n", "\n")))
    tokens = sorted({escape(f"@{label}") for label in labels if label}, key=len, reverse=True)
    if tokens:
        pattern = re.compile("|".join(re.escape(token) for token in tokens))
        text = pattern.sub(lambda found: f'<span class="mention-chip">{found[0]}</span>', text)
    return mark_safe(text.replace("\n", "<br>"))  # noqa: S308 (escaped above)


def present_note(note: Note, *, agent: Agent, now: datetime) -> NoteView:
    mentions = [mention.label for mention in getattr(note, "mention_list", note.mentions.all())]
    attachments = getattr(note, "attachment_list", note.attachments.all())
    author = note.author
    return NoteView(
        note=note,
        author_name=(author.get_full_name() or author.get_username()) if author else FORMER_AGENT,
        html=note_html(note.body, mentions),
        attachments=[
            NoteAttachmentView(
                pk=item.pk,
                filename=item.filename,
                content_type=item.content_type,
                size_label=filesizeformat(item.size),
            )
            for item in attachments
        ],
        mentions=mentions,
        can_edit=is_editable(note, user_id=agent.user_id, now=now),
        can_delete=is_deletable(note, agent=agent),
    )


def _names(values: Sequence[Any]) -> str:
    return ", ".join(str(value) for value in values)


def _assigned(data: Mapping[str, Any], names: TimelineData) -> str:
    assignee, team = data.get("assignee_id"), data.get("team_id")
    if assignee is None and team is None:
        return "unassigned this"
    who = names.agent_names.get(assignee, FORMER_AGENT) if assignee is not None else ""
    queue = f"team {names.team_names.get(team, 'a deleted team')}" if team is not None else ""
    if who and queue:
        return f"assigned this to {who} ({queue})"
    return f"assigned this to {who or queue}"


def _ticket_changed(data: Mapping[str, Any], names: TimelineData) -> str:
    parts = []
    for name, change in data.items():
        if not isinstance(change, Mapping):
            continue
        if name == "owner_id":
            owner = change.get("to")
            parts.append(
                f"owner to {names.agent_names.get(owner, FORMER_AGENT)}" if owner else "no owner"
            )
            continue
        labels = TICKET_LABELS.get(name, {})
        before, after = str(change.get("from") or ""), str(change.get("to") or "")
        parts.append(f"{name} from {labels.get(before, before)} to {labels.get(after, after)}")
    return "changed the ticket: " + "; ".join(parts) if parts else "changed the ticket"


def _contact_changed(data: Mapping[str, Any], names: TimelineData) -> str:
    contact_id = data.get("contact_id")
    email = names.contact_emails.get(contact_id, "") if isinstance(contact_id, int) else ""
    return f"changed the contact to {email}" if email else "changed the contact"


def _tags_changed(data: Mapping[str, Any], names: TimelineData) -> str:
    added, removed = data.get("added") or [], data.get("removed") or []
    parts = ([f"added tags {_names(added)}"] if added else []) + (
        [f"removed tags {_names(removed)}"] if removed else []
    )
    return " and ".join(parts) or "changed the tags"


def _snoozed(data: Mapping[str, Any], names: TimelineData) -> str:
    # The label was written on the snoozing agent's clock (inbox.services.snooze).
    label = data.get("until_label")
    return f"snoozed this until {label}" if label else "snoozed this"


_WOKE = {
    "ended": "woke this up: the snooze ended",
    "replied": "woke this up: the contact replied",
    "unsnoozed": "unsnoozed this",
}


def _woke(data: Mapping[str, Any], names: TimelineData) -> str:
    return _WOKE.get(str(data.get("reason") or ""), "woke this up")


_SIMPLE = {
    ThreadEvent.Kind.CLOSED: "closed this",
    ThreadEvent.Kind.REOPENED: "reopened this",
    ThreadEvent.Kind.SPAM: "marked this as spam",
    ThreadEvent.Kind.NOT_SPAM: "marked this as not spam",
    ThreadEvent.Kind.FORWARDED: "forwarded this",
    ThreadEvent.Kind.MERGED: "merged conversations",
    ThreadEvent.Kind.UNMERGED: "undid a merge",
    ThreadEvent.Kind.SPLIT: "split this conversation",
    ThreadEvent.Kind.UNSPLIT: "undid a split",
}
_DETAILED = {
    ThreadEvent.Kind.ASSIGNED: _assigned,
    ThreadEvent.Kind.TICKET_CHANGED: _ticket_changed,
    ThreadEvent.Kind.CONTACT_CHANGED: _contact_changed,
    ThreadEvent.Kind.TAGS_CHANGED: _tags_changed,
    ThreadEvent.Kind.SNOOZED: _snoozed,
    ThreadEvent.Kind.WOKE: _woke,
}


def event_sentence(event: ThreadEvent, names: TimelineData) -> str:
    """One line: who (the actor, "Rules" for an automatic assignment, else "System") and what."""
    actor = event.actor
    if actor is not None:
        who = actor.get_full_name() or actor.get_username()
    else:
        who = "Rules" if event.kind == ThreadEvent.Kind.ASSIGNED else "System"
    kind = event.kind
    if kind in _SIMPLE:
        what = _SIMPLE[ThreadEvent.Kind(kind)]
    elif kind in _DETAILED:
        what = _DETAILED[ThreadEvent.Kind(kind)](event.data or {}, names)
    else:  # a kind added later, before it has a sentence here
        what = f"- {kind}"
    return f"{who} {what}"


def present_event(event: ThreadEvent, names: TimelineData) -> EventView:
    return EventView(
        pk=event.pk, at=event.at, kind=event.kind, sentence=event_sentence(event, names)
    )


def _moment(entry: Any) -> tuple[datetime, int, int]:
    # Messages carry their own time; at the same instant a message comes before what followed it.
    if getattr(entry, "timeline_kind", "") == "note":
        return (entry.at, 1, entry.pk)
    if getattr(entry, "timeline_kind", "") == "event":
        return (entry.at, 2, entry.pk)
    return (entry.message.created_at, 0, entry.pk)


def timeline_entries(
    message_views: Sequence[Any], data: TimelineData, *, agent: Agent, now: datetime
) -> list[Any]:
    """Message views, note views and event views in the order they happened."""
    entries: list[Any] = list(message_views)
    entries += [present_note(note, agent=agent, now=now) for note in data.notes]
    entries += [present_event(event, data) for event in data.events]
    return sorted(entries, key=_moment)


def poll_query(*, message_id: int, note_id: int, event_id: int) -> str:
    """The live poll's position in each of the timeline's three streams."""
    return f"after={message_id}&notes_after={note_id}&events_after={event_id}"


def last_ids(data: TimelineData, *, note_after: int = 0, event_after: int = 0) -> dict[str, int]:
    return {
        "last_note_id": max((note.pk for note in data.notes), default=note_after),
        "last_event_id": max((event.pk for event in data.events), default=event_after),
    }
