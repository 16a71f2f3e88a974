"""Merging threads, splitting messages out, and undoing both (inbox.services.merge)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk.mail_ids import make_outbound_message_id
from helpdesk.refusals import Refused
from inbox.inbound.pipeline import process_inbound_email
from inbox.models import Message, Note, Thread, ThreadEvent, Ticket
from inbox.selectors.inbound import threads_for_message_ids
from inbox.services import merge
from inbox.services.merge import Properties, differences, reconcile
from tests.factories import (
    AgentFactory,
    EmailChannelFactory,
    ForwardingAddressFactory,
    MessageFactory,
    ThreadFactory,
    TicketFactory,
)
from tests.inbox.inbound.conftest import fixture_bytes, store_inbound

OPEN = Properties(status="open", assignee_id=None, team_id=None, has_ticket=False)
TICKETED = Properties(
    status="open",
    assignee_id=1,
    team_id=None,
    has_ticket=True,
    ticket_status="new",
    priority="high",
    category="billing",
    owner_id=1,
)


@pytest.mark.parametrize(
    ("target", "source", "choices", "expected"),
    [
        # Nothing chosen: the target keeps its own properties, and gains no ticket.
        (OPEN, TICKETED, {}, OPEN),
        # Taking the source's priority brings the source's ticket along for the rest.
        (
            OPEN,
            TICKETED,
            {"priority": "source"},
            Properties("open", None, None, True, "new", "high", "billing", 1),
        ),
        (
            TICKETED,
            Properties("closed", 2, 5, True, "closed", "low", "", None),
            {"status": "source", "assignee": "source", "owner": "source"},
            Properties("closed", 2, 5, True, "new", "high", "billing", None),
        ),
        # A ticket property taken from a side without a ticket keeps the ticket's value.
        (TICKETED, OPEN, {"priority": "source"}, TICKETED),
    ],
)
def test_reconcile_takes_each_property_from_the_chosen_side(target, source, choices, expected):
    assert reconcile(target, source, choices) == expected


def test_reconcile_refuses_an_unknown_side():
    with pytest.raises(Refused):
        reconcile(OPEN, TICKETED, {"status": "both"})


def test_differences_name_what_the_agent_must_choose():
    assert differences(OPEN, OPEN) == ()
    assert differences(OPEN, TICKETED) == (
        "assignee",
        "ticket_status",
        "priority",
        "category",
        "owner",
    )


@pytest.fixture
def two_threads(workspace):
    """An older thread (two messages) and a newer one (one message between them in time)."""
    start = timezone.now() - timedelta(days=2)
    older = ThreadFactory(workspace=workspace, subject="Printer")
    newer = ThreadFactory(workspace=workspace, subject="Printer again", contact=older.contact)
    Thread.objects.filter(pk=older.pk).update(created_at=start)
    Thread.objects.filter(pk=newer.pk).update(created_at=start + timedelta(hours=1))
    older.refresh_from_db()
    newer.refresh_from_db()
    first = MessageFactory(thread=older, created_at=start, text="First")
    middle = MessageFactory(
        thread=newer, created_at=start + timedelta(hours=1), text="Middle", message_id="<mid@x>"
    )
    last = MessageFactory(thread=older, created_at=start + timedelta(hours=2), text="Last")
    for thread in (older, newer):
        merge.recount(thread)
    return older, newer, [first, middle, last]


@pytest.mark.django_db
def test_merge_moves_the_newer_threads_messages_into_the_older_in_date_order(
    two_threads, agent, django_capture_on_commit_callbacks
):
    older, newer, messages = two_threads
    with django_capture_on_commit_callbacks(execute=True):
        # Started from the older thread or the newer one: the newer one goes into the older.
        target = merge.thread_merge(thread=newer, other=older, choices={}, by=agent)
    assert target.pk == older.pk
    order = list(
        Message.objects.filter(thread=older)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )
    assert order == [message.pk for message in messages]
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.message_count, older.snippet) == (3, "Last")
    assert older.last_message_at == messages[2].created_at
    assert newer.kind == Thread.Kind.MERGED
    assert newer.merged_into_id == older.pk
    assert newer.message_count == 0
    target_event = ThreadEvent.objects.get(thread=older, kind=ThreadEvent.Kind.MERGED)
    assert target_event.data["source_thread_id"] == newer.pk
    assert target_event.data["message_ids"] == [messages[1].pk]
    assert target_event.actor_id == agent.user_id
    source_event = ThreadEvent.objects.get(thread=newer, kind=ThreadEvent.Kind.MERGED)
    assert source_event.data["into_thread_id"] == older.pk


@pytest.mark.django_db
def test_mail_quoting_the_merged_threads_ids_threads_into_the_target(two_threads, agent):
    older, newer, _ = two_threads
    merge.thread_merge(thread=older, other=newer, choices={}, by=agent)
    # A stored Message-ID of the merged thread, and one of our own ids naming it.
    ours = make_outbound_message_id(thread_id=newer.pk, domain="example.test")
    known, _ = threads_for_message_ids(older.workspace_id, ("<mid@x>", ours))
    assert known == {"<mid@x>": older.pk, ours: older.pk}


@pytest.mark.django_db
def test_a_reply_to_a_merged_thread_reopens_the_closed_target(two_threads, agent):
    older, newer, _ = two_threads
    merge.thread_merge(thread=older, other=newer, choices={}, by=agent)
    Thread.objects.filter(pk=older.pk).update(status=Thread.Status.CLOSED)
    ours = make_outbound_message_id(thread_id=newer.pk, domain="example.test")
    _, closed = threads_for_message_ids(older.workspace_id, (ours,))
    assert closed == frozenset({older.pk})


@pytest.mark.django_db
def test_merge_applies_the_chosen_properties_and_undo_restores_them(two_threads, workspace):
    older, newer, messages = two_threads
    alice, bob = AgentFactory(workspace=workspace), AgentFactory(workspace=workspace)
    older.assignee = alice.user
    older.save()
    newer.assignee = bob.user
    newer.status = Thread.Status.CLOSED
    newer.save()
    TicketFactory(thread=newer, priority="urgent", owner=bob.user)

    merge.thread_merge(
        thread=older,
        other=newer,
        choices={"assignee": "source", "priority": "source"},
        by=alice,
    )
    older.refresh_from_db()
    assert older.assignee_id == bob.user_id
    assert older.status == Thread.Status.OPEN
    ticket = Ticket.objects.get(thread=older)
    assert (ticket.priority, ticket.owner_id) == ("urgent", bob.user_id)
    kinds = set(ThreadEvent.objects.filter(thread=older).values_list("kind", flat=True))
    assert {"merged", "assigned", "ticket_changed"} <= kinds

    event = ThreadEvent.objects.get(thread=older, kind=ThreadEvent.Kind.MERGED)
    restored = merge.thread_unmerge(event=event, by=alice)
    assert restored.pk == newer.pk
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.assignee_id == alice.user_id
    assert not Ticket.objects.filter(thread=older).exists()  # it had none before the merge
    assert newer.kind == Thread.Kind.CONVERSATION and newer.merged_into_id is None
    assert list(Message.objects.filter(thread=newer).values_list("pk", flat=True)) == [
        messages[1].pk
    ]
    assert (older.message_count, newer.message_count) == (2, 1)
    assert ThreadEvent.objects.filter(kind=ThreadEvent.Kind.UNMERGED).count() == 2
    with pytest.raises(Refused, match="undone already"):
        merge.thread_unmerge(event=event, by=alice)


@pytest.mark.django_db
def test_mail_that_arrived_after_a_merge_stays_in_the_target_on_undo(two_threads, agent):
    older, newer, _ = two_threads
    merge.thread_merge(thread=older, other=newer, choices={}, by=agent)
    later = MessageFactory(thread=older, text="After the merge")
    event = ThreadEvent.objects.get(thread=older, kind=ThreadEvent.Kind.MERGED)
    merge.thread_unmerge(event=event, by=agent)
    later.refresh_from_db()
    assert later.thread_id == older.pk


@pytest.mark.django_db
def test_merging_again_points_earlier_merged_threads_to_the_new_target(workspace, agent):
    first, second, third = (ThreadFactory(workspace=workspace) for _ in range(3))
    for thread in (first, second, third):
        MessageFactory(thread=thread)
    merge.thread_merge(thread=second, other=third, choices={}, by=agent)  # third -> second
    merge.thread_merge(thread=first, other=second, choices={}, by=agent)  # second -> first
    third.refresh_from_db()
    assert third.merged_into_id == first.pk
    # Undoing the second merge gives the third back to the second.
    event = ThreadEvent.objects.get(thread=first, kind=ThreadEvent.Kind.MERGED)
    merge.thread_unmerge(event=event, by=agent)
    third.refresh_from_db()
    assert third.merged_into_id == second.pk


@pytest.mark.django_db
def test_an_undo_refuses_once_the_target_was_merged_elsewhere(workspace, agent):
    first, second, third = (ThreadFactory(workspace=workspace) for _ in range(3))
    for thread in (first, second, third):
        MessageFactory(thread=thread)
    merge.thread_merge(thread=second, other=third, choices={}, by=agent)
    merge.thread_merge(thread=first, other=second, choices={}, by=agent)
    event = ThreadEvent.objects.get(
        thread=second, kind=ThreadEvent.Kind.MERGED, data__has_key="source_thread_id"
    )
    with pytest.raises(Refused, match="undo that merge first"):
        merge.thread_unmerge(event=event, by=agent)


@pytest.mark.django_db
def test_merge_refusals(workspace, agent):
    thread = ThreadFactory(workspace=workspace)
    other_workspace = ThreadFactory()
    confirmation = ThreadFactory(workspace=workspace, confirmation=True)
    with pytest.raises(Refused, match="not in this workspace"):
        merge.thread_merge(thread=thread, other=other_workspace, choices={}, by=agent)
    with pytest.raises(Refused, match="itself"):
        merge.thread_merge(thread=thread, other=thread, choices={}, by=agent)
    with pytest.raises(Refused, match="Only conversations"):
        merge.thread_merge(thread=thread, other=confirmation, choices={}, by=agent)


@pytest.mark.django_db
def test_split_moves_a_message_into_a_new_thread_with_its_own_ticket(two_threads, agent):
    older, _, messages = two_threads
    last = messages[2]
    new = merge.message_split(message=last, with_later=False, by=agent)
    last.refresh_from_db()
    assert last.thread_id == new.pk
    new.refresh_from_db()
    older.refresh_from_db()
    assert (new.contact_id, new.workspace_id) == (older.contact_id, older.workspace_id)
    assert new.created_at == last.created_at
    assert (new.message_count, older.message_count) == (1, 1)
    assert older.snippet == "First"
    assert Ticket.objects.filter(thread=new).exists()
    original_event = ThreadEvent.objects.get(thread=older, kind=ThreadEvent.Kind.SPLIT)
    assert original_event.data == {
        "new_thread_id": new.pk,
        "new_subject": new.subject,
        "message_ids": [last.pk],
    }
    assert (
        ThreadEvent.objects.get(thread=new, kind=ThreadEvent.Kind.SPLIT).data["from_thread_id"]
        == older.pk
    )
    # A reply to the split message lands in the new thread.
    known, _ = threads_for_message_ids(older.workspace_id, (last.message_id,))
    assert known == {last.message_id: new.pk}


@pytest.mark.django_db
def test_split_with_the_later_messages_and_undo(workspace, agent):
    thread = ThreadFactory(workspace=workspace)
    start = timezone.now() - timedelta(hours=3)
    messages = [
        MessageFactory(thread=thread, created_at=start + timedelta(hours=index))
        for index in range(3)
    ]
    new = merge.message_split(message=messages[1], with_later=True, by=agent)
    assert set(Message.objects.filter(thread=new).values_list("pk", flat=True)) == {
        messages[1].pk,
        messages[2].pk,
    }
    MessageFactory(thread=new, text="A reply to the split-off question")
    event = ThreadEvent.objects.get(thread=thread, kind=ThreadEvent.Kind.SPLIT)
    merge.thread_unsplit(event=event, by=agent)
    thread.refresh_from_db()
    new.refresh_from_db()
    assert thread.message_count == 4  # every message of the split-off thread came back
    assert (new.kind, new.merged_into_id) == (Thread.Kind.MERGED, thread.pk)
    assert ThreadEvent.objects.filter(kind=ThreadEvent.Kind.UNSPLIT).count() == 2
    with pytest.raises(Refused, match="undone already"):
        merge.thread_unsplit(event=event, by=agent)


@pytest.mark.django_db
def test_split_refuses_to_empty_the_thread(workspace, agent):
    thread = ThreadFactory(workspace=workspace)
    first = MessageFactory(thread=thread)
    MessageFactory(thread=thread)
    with pytest.raises(Refused, match="at least one message"):
        merge.message_split(message=first, with_later=True, by=agent)


@pytest.fixture
def deliver(workspace):
    """Run raw mail through the inbound pipeline into a channel of the workspace."""
    channel = EmailChannelFactory(workspace=workspace, default_from_username="support")
    address = ForwardingAddressFactory(channel=channel).address

    def deliver(raw: bytes) -> Message:
        row = store_inbound(raw, address)
        process_inbound_email(row.pk)
        return Message.objects.get(inbound_id=row.pk)

    return deliver


@pytest.mark.django_db
def test_a_reply_to_the_merged_away_thread_lands_in_the_target(deliver, agent):
    older = deliver(fixture_bytes("same_subject_no_refs.eml")).thread
    newer = deliver(fixture_bytes("plain.eml")).thread  # Message-ID <plain-1@customer.example>
    assert older.pk != newer.pk
    merge.thread_merge(thread=newer, other=older, choices={}, by=agent)

    reply = deliver(fixture_bytes("reply.eml"))  # In-Reply-To <plain-1@customer.example>
    assert reply.thread_id == older.pk
    # Our own signed id naming the merged-away thread, with the References cut, too.
    ours = make_outbound_message_id(thread_id=newer.pk, domain="acme.example")
    raw = fixture_bytes("reply.eml").replace(b"<plain-1@customer.example>", ours.encode())
    raw = raw.replace(b"reply-1@", b"reply-9@")
    assert deliver(raw).thread_id == older.pk
    older.refresh_from_db()
    assert older.message_count == 4


@pytest.mark.django_db
def test_internal_notes_move_with_the_merge_and_back_with_its_undo(two_threads, agent):
    older, newer, _ = two_threads
    note = Note.objects.create(
        thread=newer,
        workspace=newer.workspace,
        author=agent.user,
        body="VIP",
        created_at=timezone.now(),
    )
    merge.thread_merge(thread=older, other=newer, choices={}, by=agent)
    note.refresh_from_db()
    assert note.thread_id == older.pk
    event = ThreadEvent.objects.get(thread=older, kind=ThreadEvent.Kind.MERGED)
    merge.thread_unmerge(event=event, by=agent)
    note.refresh_from_db()
    assert note.thread_id == newer.pk
