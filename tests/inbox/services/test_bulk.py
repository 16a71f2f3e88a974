"""Bulk actions: one change to many threads through the one-thread services (so events are
written), other workspaces' ids ignored, and an undo that puts each thread back for 10 seconds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk.refusals import Refused
from inbox.models import BlockedSender, BulkAction, Thread, ThreadEvent
from inbox.services import bulk as services
from inbox.services import tags as tag_services
from inbox.services.bulk import Action, BulkChange
from tests.factories import (
    AgentFactory,
    ContactFactory,
    TeamFactory,
    ThreadFactory,
    TicketFactory,
    WorkspaceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return AgentFactory()


@pytest.fixture
def threads(agent):
    return [ThreadFactory(workspace=agent.workspace) for _ in range(3)]


def apply(agent, threads, change: BulkChange) -> services.BulkResult:
    return services.bulk_apply(
        workspace=agent.workspace, thread_ids=[t.pk for t in threads], change=change, by=agent
    )


def fresh(threads) -> list[Thread]:
    return [Thread.objects.get(pk=t.pk) for t in threads]


def kinds(thread: Thread) -> list[str]:
    return list(ThreadEvent.objects.filter(thread=thread).values_list("kind", flat=True))


def test_close_applies_to_every_thread_with_events_and_undo_reopens(agent, threads) -> None:
    already_closed = ThreadFactory(workspace=agent.workspace, status=Thread.Status.CLOSED)
    result = apply(agent, [*threads, already_closed], BulkChange(action=Action.CLOSE))
    assert result.changed == 4
    assert {t.status for t in fresh(threads)} == {"closed"}
    assert all(kinds(t) == ["closed"] for t in threads)

    assert services.bulk_undo(bulk=result.bulk, by=agent) == 4
    assert {t.status for t in fresh(threads)} == {"open"}
    assert all(kinds(t) == ["closed", "reopened"] for t in threads)
    # It was closed before the batch: the undo leaves it closed, with no event.
    assert Thread.objects.get(pk=already_closed.pk).status == "closed"
    assert kinds(already_closed) == []


def test_undo_restores_the_ticket_status_the_close_changed(agent) -> None:
    thread = ThreadFactory(workspace=agent.workspace)
    TicketFactory(thread=thread, status="waiting_on_contact")
    result = apply(agent, [thread], BulkChange(action=Action.CLOSE))
    assert Thread.objects.get(pk=thread.pk).ticket.status == "closed"
    services.bulk_undo(bulk=result.bulk, by=agent)
    assert Thread.objects.get(pk=thread.pk).ticket.status == "waiting_on_contact"


def test_ids_of_another_workspace_are_ignored(agent, threads) -> None:
    foreign = ThreadFactory(workspace=WorkspaceFactory())
    result = apply(agent, [threads[0], foreign], BulkChange(action=Action.CLOSE))
    assert result.changed == 1
    assert Thread.objects.get(pk=foreign.pk).status == "open"
    assert str(foreign.pk) not in result.bulk.previous
    with pytest.raises(Refused, match="Select at least one"):
        apply(agent, [foreign], BulkChange(action=Action.CLOSE))


def test_assign_and_undo_puts_back_each_previous_assignee_and_team(agent) -> None:
    other = AgentFactory(workspace=agent.workspace)
    team = TeamFactory(workspace=agent.workspace)
    nobody = ThreadFactory(workspace=agent.workspace)
    others = ThreadFactory(workspace=agent.workspace, assignee=other.user, assigned_team=team)
    result = apply(agent, [nobody, others], BulkChange(action=Action.ASSIGN, assignee=agent))
    assert [t.assignee_id for t in fresh([nobody, others])] == [agent.user_id] * 2
    # The team queue is kept: only the agent changes.
    assert Thread.objects.get(pk=others.pk).assigned_team_id == team.pk

    services.bulk_undo(bulk=result.bulk, by=agent)
    nobody, others = fresh([nobody, others])
    assert (nobody.assignee_id, nobody.assigned_team_id) == (None, None)
    assert (others.assignee_id, others.assigned_team_id) == (other.user_id, team.pk)
    assert kinds(others) == ["assigned", "assigned"]


def test_tag_and_undo_restore_each_threads_own_tags(agent, threads) -> None:
    billing = tag_services.tag_create(workspace=agent.workspace, name="Billing")
    urgent = tag_services.tag_create(workspace=agent.workspace, name="Urgent")
    tag_services.thread_tag_add(thread=threads[0], tag=urgent)
    tag_services.thread_tag_add(thread=threads[1], tag=billing)
    result = apply(agent, threads, BulkChange(action=Action.TAG, tag=billing))
    assert [sorted(t.name for t in th.tags.all()) for th in threads] == [
        ["Billing", "Urgent"],
        ["Billing"],
        ["Billing"],
    ]
    services.bulk_undo(bulk=result.bulk, by=agent)
    assert [sorted(t.name for t in th.tags.all()) for th in threads] == [
        ["Urgent"],
        ["Billing"],
        [],
    ]
    assert ThreadEvent.objects.filter(thread=threads[2], kind="tags_changed").count() == 2


def test_a_tag_is_required_and_must_be_of_the_workspace(agent, threads) -> None:
    with pytest.raises(Refused, match="Choose a tag"):
        apply(agent, threads, BulkChange(action=Action.TAG))
    foreign = tag_services.tag_create(workspace=WorkspaceFactory(), name="Billing")
    with pytest.raises(Refused, match="not in this workspace"):
        apply(agent, threads, BulkChange(action=Action.TAG, tag=foreign))
    with pytest.raises(Refused, match="Choose what to do"):
        apply(agent, threads, BulkChange(action="delete"))


def test_snooze_skips_closed_threads_and_undo_wakes_the_others(agent, threads) -> None:
    closed = ThreadFactory(workspace=agent.workspace, status=Thread.Status.CLOSED)
    until = timezone.now() + timedelta(days=1)
    result = apply(agent, [*threads, closed], BulkChange(action=Action.SNOOZE, until=until))
    assert result.changed == 3
    assert [(t.pk, reason) for t, reason in result.skipped] == [
        (closed.pk, "A closed conversation cannot be snoozed: reopen it first.")
    ]
    assert all(t.snoozed_until == until for t in fresh(threads))

    services.bulk_undo(bulk=result.bulk, by=agent)
    assert all(t.snoozed_until is None for t in fresh(threads))
    assert all(kinds(t) == ["snoozed", "woke"] for t in threads)


def test_spam_and_undo_unblock_only_what_the_batch_blocked(agent) -> None:
    anna = ContactFactory(workspace=agent.workspace, email="anna@example.org")
    bob = ContactFactory(workspace=agent.workspace, email="bob@example.org")
    BlockedSender.objects.create(workspace=agent.workspace, value="bob@example.org")
    annas = [ThreadFactory(workspace=agent.workspace, contact=anna) for _ in range(2)]
    bobs = ThreadFactory(workspace=agent.workspace, contact=bob, status=Thread.Status.CLOSED)
    result = apply(agent, [*annas, bobs], BulkChange(action=Action.SPAM))
    assert all(t.is_spam for t in fresh([*annas, bobs]))
    assert set(BlockedSender.objects.values_list("value", flat=True)) == {
        "anna@example.org",
        "bob@example.org",
    }

    services.bulk_undo(bulk=result.bulk, by=agent)
    annas_after = fresh(annas)
    bobs_after = Thread.objects.get(pk=bobs.pk)
    assert [(t.is_spam, t.status) for t in annas_after] == [(False, "open")] * 2
    assert (bobs_after.is_spam, bobs_after.status) == (False, "closed")
    # Bob was blocked before the batch and stays blocked; Anna is accepted again.
    assert list(BlockedSender.objects.values_list("value", flat=True)) == ["bob@example.org"]


def test_undo_is_refused_after_ten_seconds(agent, threads) -> None:
    result = apply(agent, threads, BulkChange(action=Action.CLOSE))
    later = result.bulk.created_at + timedelta(seconds=services.UNDO_SECONDS + 1)
    with pytest.raises(Refused, match="Too late to undo"):
        services.bulk_undo(bulk=result.bulk, by=agent, now=later)
    assert {t.status for t in fresh(threads)} == {"closed"}
    # Just within the time it works.
    just = result.bulk.created_at + timedelta(seconds=services.UNDO_SECONDS)
    services.bulk_undo(bulk=result.bulk, by=agent, now=just)
    assert {t.status for t in fresh(threads)} == {"open"}


def test_undo_happens_once_and_only_for_its_author(agent, threads) -> None:
    result = apply(agent, threads, BulkChange(action=Action.CLOSE))
    colleague = AgentFactory(workspace=agent.workspace)
    with pytest.raises(Refused, match="Only the agent who made"):
        services.bulk_undo(bulk=result.bulk, by=colleague)
    services.bulk_undo(bulk=result.bulk, by=agent)
    with pytest.raises(Refused, match="already undone"):
        services.bulk_undo(bulk=BulkAction.objects.get(pk=result.bulk.pk), by=agent)
    # A stale copy of the row (a second tab) cannot undo twice either.
    with pytest.raises(Refused, match="already undone"):
        services.bulk_undo(
            bulk=result.bulk.__class__(
                **{
                    f.attname: getattr(result.bulk, f.attname)
                    for f in BulkAction._meta.concrete_fields
                }
                | {"undone_at": None}
            ),
            by=agent,
        )
    assert all(kinds(t) == ["closed", "reopened"] for t in threads)
