"""The ticket's status follows the conversation: an agent's reply waits on the contact, the
contact writing back waits on us, and a workspace may close what waits on the contact too long."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels_cfg.models import TicketStatus
from inbox.inbound.pipeline import process_inbound_email
from inbox.models import Message, Thread, ThreadEvent, Ticket
from inbox.services.outbound import reply_create
from inbox.services.snooze import thread_snooze
from inbox.services.ticket_status import (
    status_after_agent_reply,
    status_after_contact_wrote,
    threads_close_waiting,
)
from tests.factories import (
    EmailChannelFactory,
    ForwardingAddressFactory,
    ThreadFactory,
    TicketFactory,
    WorkspaceFactory,
)
from tests.inbox.inbound.conftest import store_inbound
from tests.inbox.inbound.test_statements import data as data_statements

pytestmark = pytest.mark.django_db

FIRST = (
    b"From: Anna Berg <anna@customer.example>\r\nTo: support@acme.example\r\n"
    b"Subject: Invoice\r\nMessage-ID: <first@customer.example>\r\n"
    b"Content-Type: text/plain\r\n\r\nWhere is my invoice?\r\n"
)
ANSWER = (
    b"From: Anna Berg <anna@customer.example>\r\nTo: support@acme.example\r\n"
    b"Subject: Re: Invoice\r\nMessage-ID: <second@customer.example>\r\n"
    b"In-Reply-To: <first@customer.example>\r\nReferences: <first@customer.example>\r\n"
    b"Content-Type: text/plain\r\n\r\nFound it, thanks.\r\n"
)


@pytest.mark.parametrize(
    ("status", "after_reply", "after_contact"),
    [
        (TicketStatus.NEW, TicketStatus.WAITING_ON_CONTACT, None),
        (TicketStatus.WAITING_ON_US, TicketStatus.WAITING_ON_CONTACT, None),
        (TicketStatus.WAITING_ON_CONTACT, None, TicketStatus.WAITING_ON_US),
        (TicketStatus.CLOSED, None, TicketStatus.WAITING_ON_US),
    ],
)
def test_the_next_status(status, after_reply, after_contact):
    assert status_after_agent_reply(status) == after_reply
    assert status_after_contact_wrote(status) == after_contact


def ticket_events(thread: Thread) -> list[ThreadEvent]:
    return list(
        ThreadEvent.objects.filter(thread=thread, kind=ThreadEvent.Kind.TICKET_CHANGED).order_by(
            "id"
        )
    )


@pytest.mark.parametrize("before", [TicketStatus.NEW, TicketStatus.WAITING_ON_US])
def test_an_agents_reply_makes_the_ticket_wait_on_the_contact(conversation, agent, before):
    Ticket.objects.filter(thread=conversation).update(status=before)
    reply_create(thread=conversation, agent=agent, body_text="Here it is.")
    assert Ticket.objects.get(thread=conversation).status == TicketStatus.WAITING_ON_CONTACT
    (event,) = ticket_events(conversation)
    assert event.actor_id == agent.user_id
    assert event.data == {"status": {"from": before, "to": TicketStatus.WAITING_ON_CONTACT}}


def test_a_reply_on_a_closed_ticket_leaves_it_closed(conversation, agent):
    Ticket.objects.filter(thread=conversation).update(status=TicketStatus.CLOSED)
    reply_create(thread=conversation, agent=agent, body_text="One more thing.")
    assert Ticket.objects.get(thread=conversation).status == TicketStatus.CLOSED
    assert not ticket_events(conversation)


def test_a_reply_clears_the_woke_banner(conversation, agent):
    Thread.objects.filter(pk=conversation.pk).update(woke_reason="replied")
    reply_create(thread=conversation, agent=agent, body_text="On it.")
    conversation.refresh_from_db()
    assert conversation.woke_reason == ""


def test_a_reply_on_a_thread_without_ticket_creates_none(conversation, agent):
    Ticket.objects.filter(thread=conversation).delete()
    reply_create(thread=conversation, agent=agent, body_text="Hi.")
    assert not Ticket.objects.filter(thread=conversation).exists()


@pytest.fixture
def mail_channel(workspace):
    channel = EmailChannelFactory(workspace=workspace, default_from_username="support")
    ForwardingAddressFactory(channel=channel)
    return channel


def deliver(raw: bytes, channel) -> tuple[Message, list[str]]:
    row = store_inbound(raw, channel.forwarding_address.address)
    with CaptureQueriesContext(connection) as captured:
        process_inbound_email(row.pk)
    statements = data_statements([query["sql"] for query in captured.captured_queries])
    return Message.objects.select_related("thread").get(inbound=row), statements


def test_the_contact_writing_back_makes_the_ticket_wait_on_us(mail_channel, agent):
    thread = deliver(FIRST, mail_channel)[0].thread
    Ticket.objects.filter(thread=thread).update(status=TicketStatus.WAITING_ON_CONTACT)

    _, statements = deliver(ANSWER, mail_channel)

    assert Ticket.objects.get(thread=thread).status == TicketStatus.WAITING_ON_US
    (event,) = ticket_events(thread)
    assert event.actor_id is None
    assert event.data == {"status": {"from": "waiting_on_contact", "to": "waiting_on_us"}}
    # The claim, the budget of 5 for a reply, and the ticket's UPDATE and its event: the read
    # of the ticket's status rides on the thread's UPDATE (RETURNING).
    _claim, *in_transaction = statements
    assert len(in_transaction) <= 5 + 2, in_transaction


def test_a_new_ticket_stays_new_when_the_contact_writes_again(mail_channel):
    thread = deliver(FIRST, mail_channel)[0].thread
    before = Ticket.objects.get(thread=thread).status
    deliver(ANSWER, mail_channel)
    assert Ticket.objects.get(thread=thread).status == before == TicketStatus.NEW
    assert not ticket_events(thread)


def test_a_closed_thread_reopens_and_its_ticket_waits_on_us(mail_channel):
    thread = deliver(FIRST, mail_channel)[0].thread
    Thread.objects.filter(pk=thread.pk).update(status=Thread.Status.CLOSED)
    Ticket.objects.filter(thread=thread).update(status=TicketStatus.CLOSED)

    deliver(ANSWER, mail_channel)

    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN
    assert Ticket.objects.get(thread=thread).status == TicketStatus.WAITING_ON_US
    assert ThreadEvent.objects.filter(thread=thread, kind=ThreadEvent.Kind.REOPENED).exists()
    assert ticket_events(thread)[0].data["status"] == {"from": "closed", "to": "waiting_on_us"}


def waiting_thread(workspace, *, days_ago: float, status: str = TicketStatus.WAITING_ON_CONTACT):
    thread = ThreadFactory(
        workspace=workspace, last_message_at=timezone.now() - timedelta(days=days_ago)
    )
    TicketFactory(thread=thread, status=status)
    return thread


def test_threads_waiting_on_the_contact_too_long_are_closed(workspace):
    workspace.auto_close_waiting_days = 3
    workspace.save()
    stale = waiting_thread(workspace, days_ago=4)
    recent = waiting_thread(workspace, days_ago=2)
    ours = waiting_thread(workspace, days_ago=10, status=TicketStatus.WAITING_ON_US)
    elsewhere = waiting_thread(WorkspaceFactory(), days_ago=30)  # that workspace: off

    assert threads_close_waiting(now=timezone.now()) == 1

    for thread in (stale, recent, ours, elsewhere):
        thread.refresh_from_db()
    assert stale.status == Thread.Status.CLOSED
    assert Ticket.objects.get(thread=stale).status == TicketStatus.CLOSED
    (closed,) = ThreadEvent.objects.filter(thread=stale, kind=ThreadEvent.Kind.CLOSED)
    assert closed.actor_id is None
    assert closed.data == {"from": "open", "to": "closed", "by": "auto_close", "days": 3}
    assert ticket_events(stale)[0].data["status"] == {"from": "waiting_on_contact", "to": "closed"}
    assert {recent.status, ours.status, elsewhere.status} == {Thread.Status.OPEN}
    # Run again: nothing left to close.
    assert threads_close_waiting(now=timezone.now()) == 0


def test_a_snoozed_thread_is_not_closed_while_it_waits(workspace, agent):
    workspace.auto_close_waiting_days = 1
    workspace.save()
    thread = waiting_thread(workspace, days_ago=5)
    thread_snooze(thread=thread, until=timezone.now() + timedelta(days=1), by=agent)
    assert threads_close_waiting(now=timezone.now()) == 0


def test_beat_runs_the_auto_close_task(settings, workspace):
    from inbox.tasks import close_waiting

    assert settings.CELERY_CONFIG["beat_schedule"]["inbox-close-waiting"]["task"] == (
        close_waiting.name
    )
    workspace.auto_close_waiting_days = 2
    workspace.save()
    waiting_thread(workspace, days_ago=3)
    assert close_waiting() == 1


def test_an_undone_reply_gives_the_ticket_its_status_back(conversation, agent):
    from inbox.services.undo_send import reply_undo

    agent.workspace.undo_send_seconds = 10
    agent.workspace.save()
    reply = reply_create(thread=conversation, agent=agent, body_text="Oops, wrong thread.")
    assert Ticket.objects.get(thread=conversation).status == TicketStatus.WAITING_ON_CONTACT

    reply_undo(message=reply, by=agent)

    assert Ticket.objects.get(thread=conversation).status == TicketStatus.NEW
    assert [event.data["status"] for event in ticket_events(conversation)] == [
        {"from": "new", "to": "waiting_on_contact"},
        {"from": "waiting_on_contact", "to": "new"},
    ]


def test_an_undone_reply_leaves_a_status_an_agent_set_since(conversation, agent):
    from inbox.services.undo_send import reply_undo

    agent.workspace.undo_send_seconds = 10
    agent.workspace.save()
    reply = reply_create(thread=conversation, agent=agent, body_text="Hi.")
    Ticket.objects.filter(thread=conversation).update(status=TicketStatus.CLOSED)
    reply_undo(message=reply, by=agent)
    assert Ticket.objects.get(thread=conversation).status == TicketStatus.CLOSED
