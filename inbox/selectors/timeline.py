"""Reads behind a thread's timeline: its notes and its events (the messages come from
inbox.selectors.threads). One query per kind whatever the thread's length, and one indexed
query for the live poll's "anything new?"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, Prefetch, Q

from helpdesk.models import Agent, Team, Workspace
from inbox.models import Contact, Mention, Note, Thread, ThreadEvent


@dataclass(frozen=True)
class TimelineData:
    """What the timeline shows besides messages, and the names its sentences need."""

    notes: list[Note]
    events: list[ThreadEvent]
    agent_names: dict[int, str]
    team_names: dict[int, str]
    contact_emails: dict[int, str]


def thread_notes(*, thread: Thread, after_id: int = 0, ids: Iterable[int] = ()) -> list[Note]:
    """The thread's notes in order, with author, attachments and mentions (three queries at most)."""
    queryset = Note.objects.filter(thread_id=thread.pk, workspace_id=thread.workspace_id)
    if after_id:
        queryset = queryset.filter(id__gt=after_id)
    if ids:
        queryset = queryset.filter(id__in=list(ids))
    return list(
        queryset.select_related("author")
        .prefetch_related(
            Prefetch("attachments", to_attr="attachment_list"),
            Prefetch("mentions", queryset=Mention.objects.order_by("id"), to_attr="mention_list"),
        )
        .order_by("created_at", "id")
    )


def thread_events(*, thread: Thread, after_id: int = 0) -> list[ThreadEvent]:
    """The thread's events in order, with their actor."""
    queryset = ThreadEvent.objects.filter(thread_id=thread.pk, workspace_id=thread.workspace_id)
    if after_id:
        queryset = queryset.filter(id__gt=after_id)
    return list(queryset.select_related("actor").order_by("at", "id"))


def timeline_has_news(*, thread: Thread, note_after: int, event_after: int) -> bool:
    """Whether notes or events arrived after these ids: one query (both along an index that
    leads with the thread)."""
    notes = Note.objects.filter(thread_id=thread.pk, id__gt=note_after)
    events = ThreadEvent.objects.filter(thread_id=thread.pk, id__gt=event_after)
    return Thread.objects.filter(pk=thread.pk).filter(Q(Exists(notes)) | Q(Exists(events))).exists()


def _event_contact_ids(events: Iterable[ThreadEvent]) -> set[int]:
    ids: set[int] = set()
    for event in events:
        if event.kind == ThreadEvent.Kind.CONTACT_CHANGED:
            contact_id = event.data.get("contact_id")
            if isinstance(contact_id, int):
                ids.add(contact_id)
    return ids


def timeline_get(
    *,
    workspace: Workspace,
    thread: Thread,
    agents: Iterable[Agent] | None = None,
    teams: Iterable[Team] | None = None,
    note_after: int = 0,
    event_after: int = 0,
) -> TimelineData:
    """Notes and events of the thread (after the given ids, for the poll). Pass the agents and
    teams the page already loaded to save their queries; contacts are read only when a
    contact change is shown."""
    notes = thread_notes(thread=thread, after_id=note_after)
    events = thread_events(thread=thread, after_id=event_after)
    if agents is None:
        agents = Agent.objects.filter(workspace_id=workspace.pk).select_related("user")
    if teams is None:
        teams = Team.objects.filter(workspace_id=workspace.pk)
    contact_ids = _event_contact_ids(events)
    contacts = (
        dict(
            Contact.objects.filter(workspace_id=workspace.pk, pk__in=contact_ids).values_list(
                "pk", "email"
            )
        )
        if contact_ids
        else {}
    )
    return TimelineData(
        notes=notes,
        events=events,
        agent_names={agent.user_id: agent.full_name for agent in agents},
        team_names={team.pk: team.name for team in teams},
        contact_emails=contacts,
    )
