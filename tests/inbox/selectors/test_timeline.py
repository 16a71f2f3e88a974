"""The thread's timeline: notes and events read in a fixed number of queries, the poll's
"anything new?" in one, and the pure merge and sentences over what was read."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from inbox.models import ThreadEvent
from inbox.selectors.timeline import TimelineData, timeline_get, timeline_has_news
from inbox.services import notes as note_services
from inbox.services import threads as thread_services
from inbox.services.events import thread_event_record
from inbox.timeline import event_sentence, note_html, timeline_entries
from tests.factories import AgentFactory, ContactFactory, TeamFactory, ThreadFactory, UserFactory


def names(**kwargs) -> TimelineData:
    defaults = {
        "notes": [],
        "events": [],
        "agent_names": {1: "Alice Smith", 2: "Bob Jones"},
        "team_names": {7: "Billing"},
        "contact_emails": {9: "jane@customer.example"},
    }
    return TimelineData(**{**defaults, **kwargs})


def event(kind: str, data: dict, actor=None) -> ThreadEvent:
    return ThreadEvent(pk=1, kind=kind, data=data, actor=actor, at=timezone.now())


ALICE = UserFactory.build(first_name="Alice", last_name="Smith")


@pytest.mark.parametrize(
    ("kind", "data", "actor", "sentence"),
    [
        (
            "assigned",
            {"assignee_id": 2, "team_id": None},
            ALICE,
            "Alice Smith assigned this to Bob Jones",
        ),
        ("assigned", {"assignee_id": 2, "team_id": None}, None, "Rules assigned this to Bob Jones"),
        (
            "assigned",
            {"assignee_id": None, "team_id": 7},
            ALICE,
            "Alice Smith assigned this to team Billing",
        ),
        (
            "assigned",
            {"assignee_id": 2, "team_id": 7},
            ALICE,
            "Alice Smith assigned this to Bob Jones (team Billing)",
        ),
        ("assigned", {"assignee_id": None, "team_id": None}, ALICE, "Alice Smith unassigned this"),
        (
            "assigned",
            {"assignee_id": 55, "team_id": None},
            ALICE,
            "Alice Smith assigned this to a former agent",
        ),
        ("closed", {}, ALICE, "Alice Smith closed this"),
        ("reopened", {}, None, "System reopened this"),
        ("spam", {}, ALICE, "Alice Smith marked this as spam"),
        ("not_spam", {}, ALICE, "Alice Smith marked this as not spam"),
        (
            "contact_changed",
            {"contact_id": 9},
            ALICE,
            "Alice Smith changed the contact to jane@customer.example",
        ),
        (
            "ticket_changed",
            {"status": {"from": "new", "to": "waiting_on_us"}, "owner_id": {"from": None, "to": 1}},
            ALICE,
            "Alice Smith changed the ticket: status from New to Waiting on us; owner to Alice Smith",
        ),
        ("tags_changed", {"added": ["vip"], "removed": []}, ALICE, "Alice Smith added tags vip"),
        ("snoozed", {}, ALICE, "Alice Smith snoozed this"),
        ("woke", {}, None, "System woke this up"),
    ],
)
def test_each_event_is_one_sentence_naming_who_did_what(kind, data, actor, sentence):
    assert event_sentence(event(kind, data, actor), names()) == sentence


@pytest.mark.parametrize(
    ("body", "labels", "html"),
    [
        ("hi <b>", [], "hi &lt;b&gt;"),
        ("a\nb", [], "a<br>b"),
        ("@Bob Jones ok", ["Bob Jones"], '<span class="mention-chip">@Bob Jones</span> ok'),
        # Only stored mentions become chips: typed text never does.
        ("@Bob Jones ok", [], "@Bob Jones ok"),
        # The longest label wins: "@Bob" does not split "@Bob Jones".
        (
            "@Bob Jones @Bob",
            ["Bob", "Bob Jones"],
            '<span class="mention-chip">@Bob Jones</span> <span class="mention-chip">@Bob</span>',
        ),
        ("@<script>", ["<script>"], '<span class="mention-chip">@&lt;script&gt;</span>'),
    ],
)
def test_a_note_body_is_escaped_with_its_mentions_as_chips(body, labels, html):
    assert note_html(body, labels) == html


def test_entries_follow_time_with_a_message_first_at_the_same_instant():
    at = timezone.now()
    message = SimpleNamespace(message=SimpleNamespace(created_at=at), pk=5)
    later_message = SimpleNamespace(message=SimpleNamespace(created_at=at + timedelta(1)), pk=6)
    data = names(events=[ThreadEvent(pk=3, kind="closed", data={}, at=at)])
    agent = AgentFactory.build(user=UserFactory.build(pk=1))
    entries = timeline_entries([later_message, message], data, agent=agent, now=at)
    assert [getattr(entry, "timeline_kind", "message") for entry in entries] == [
        "message",
        "event",
        "message",
    ]


@pytest.mark.django_db
def test_notes_and_events_load_in_a_fixed_number_of_queries(django_assert_num_queries):
    thread = ThreadFactory()
    workspace = thread.workspace
    agent = AgentFactory(workspace=workspace)
    team = TeamFactory(workspace=workspace)
    for index in range(12):
        note_services.note_create(
            thread=thread, author=agent, body=f"n{index}", mention_team_ids=[team.pk]
        )
        contact = ContactFactory(workspace=workspace)
        thread_services.thread_change_contact(thread=thread, email=contact.email, by=agent)
    # notes, their files, their mentions, events, the contacts they name (agents and teams given)
    with django_assert_num_queries(5):
        data = timeline_get(workspace=workspace, thread=thread, agents=[agent], teams=[team])
    assert len(data.notes) == 12 and len(data.events) == 12
    assert len(data.contact_emails) == 12


@pytest.mark.django_db
def test_news_is_one_query_and_sees_notes_and_events_after_the_position(
    django_assert_num_queries,
):
    thread = ThreadFactory()
    agent = AgentFactory(workspace=thread.workspace)
    note = note_services.note_create(thread=thread, author=agent, body="x")
    recorded = thread_event_record(
        thread=thread, kind="closed", actor_id=None, at=timezone.now(), data={}
    )
    with django_assert_num_queries(1):
        assert timeline_has_news(thread=thread, note_after=0, event_after=recorded.pk)
    assert timeline_has_news(thread=thread, note_after=note.pk, event_after=0)
    assert not timeline_has_news(thread=thread, note_after=note.pk, event_after=recorded.pk)
    other = ThreadFactory(workspace=thread.workspace)
    assert not timeline_has_news(thread=other, note_after=0, event_after=0)
