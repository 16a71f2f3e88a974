"""Every agent action on a thread leaves one ThreadEvent, written with the change or not at all."""

from __future__ import annotations

import pytest

from helpdesk.refusals import Refused
from inbox.models import Thread, ThreadEvent
from inbox.services import threads as services
from inbox.services.events import thread_event_record
from tests.factories import AdminFactory, AgentFactory, TeamFactory, ThreadFactory, TicketFactory

pytestmark = pytest.mark.django_db


def events(thread: Thread) -> list[tuple[str, int | None, dict]]:
    return [(e.kind, e.actor_id, e.data) for e in ThreadEvent.objects.filter(thread=thread)]


@pytest.fixture
def admin():
    return AdminFactory()


@pytest.fixture
def thread(admin):
    return ThreadFactory(workspace=admin.workspace)


def test_assigning_records_who_to_whom_and_from_whom(admin, thread) -> None:
    agent = AgentFactory(workspace=admin.workspace)
    team = TeamFactory(workspace=admin.workspace)
    services.thread_assign(thread=thread, assignee=agent, team=team, by=admin)
    services.thread_assign(thread=thread, assignee=agent, team=team, by=admin)  # no change
    services.thread_assign(thread=thread, assignee=None, by=None)
    assert events(thread) == [
        (
            "assigned",
            admin.user_id,
            {
                "assignee_id": agent.user_id,
                "team_id": team.pk,
                "from_assignee_id": None,
                "from_team_id": None,
            },
        ),
        (
            "assigned",
            None,
            {
                "assignee_id": None,
                "team_id": None,
                "from_assignee_id": agent.user_id,
                "from_team_id": team.pk,
            },
        ),
    ]
    event = ThreadEvent.objects.filter(thread=thread).first()
    assert event.workspace_id == thread.workspace_id and event.at is not None


def test_closing_and_reopening_record_status_changes_only(admin, thread) -> None:
    services.thread_set_status(thread=thread, status="closed", by=admin)
    services.thread_set_status(thread=thread, status="closed", by=admin)
    services.thread_set_status(thread=thread, status="open", by=admin)
    assert events(thread) == [
        ("closed", admin.user_id, {"from": "open", "to": "closed"}),
        ("reopened", admin.user_id, {"from": "closed", "to": "open"}),
    ]


def test_spam_and_not_spam_are_a_close_and_a_reopen(admin, thread) -> None:
    services.thread_mark_spam(thread=thread, by=admin)
    services.thread_not_spam(thread=thread, by=admin)
    assert [(kind, data) for kind, _, data in events(thread)] == [
        ("spam", {"is_spam": True, "from": "open", "to": "closed"}),
        ("not_spam", {"is_spam": False, "from": "closed", "to": "open"}),
    ]


def test_changing_the_contact_is_recorded(admin, thread) -> None:
    before = thread.contact_id
    contact = services.thread_change_contact(thread=thread, email="new@example.org", by=admin)
    assert events(thread) == [
        (
            "contact_changed",
            admin.user_id,
            {"from_contact_id": before, "contact_id": contact.pk},
        )
    ]


def test_a_ticket_change_names_each_property_from_and_to(admin, thread) -> None:
    TicketFactory(thread=thread)
    services.ticket_update(thread=thread, changes={"priority": "high"}, owner=admin, by=admin)
    assert events(thread) == [
        (
            "ticket_changed",
            admin.user_id,
            {
                "priority": {"from": "medium", "to": "high"},
                "owner_id": {"from": None, "to": admin.user_id},
            },
        )
    ]


def test_a_refused_change_leaves_no_event(admin, thread) -> None:
    TicketFactory(thread=thread)
    with pytest.raises(Refused):
        services.ticket_update(thread=thread, changes={"priority": "urgent!"}, owner=None)
    with pytest.raises(Refused):
        services.thread_set_status(thread=thread, status="pending")
    stranger = AgentFactory()
    with pytest.raises(Refused):
        services.thread_assign(thread=thread, assignee=stranger)
    assert events(thread) == []


def test_the_event_rolls_back_with_the_change(admin, thread, monkeypatch) -> None:
    """Written in the same transaction: when saving the ticket fails, the close is undone too."""
    TicketFactory(thread=thread)

    def broken_save(self, *args, **kwargs):
        raise RuntimeError("disk full")

    from inbox.models import Ticket

    monkeypatch.setattr(Ticket, "save", broken_save)
    with pytest.raises(RuntimeError):
        services.thread_set_status(thread=thread, status="closed", by=admin)
    assert events(thread) == []
    assert Thread.objects.get(pk=thread.pk).status == "open"


def test_an_unknown_kind_is_a_programming_error(thread) -> None:
    from django.utils import timezone

    with pytest.raises(ValueError):
        thread_event_record(
            thread=thread, kind="teleported", actor_id=None, at=timezone.now(), data={}
        )
