"""Snooze: hide a thread until a time; it wakes then (beat), when the contact writes (pipeline)
or when an agent unsnoozes it, and says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpdesk.refusals import Refused
from inbox.inbound.pipeline import process_inbound_email
from inbox.models import Message, Thread, ThreadEvent
from inbox.selectors.threads import ListFilters, thread_list
from inbox.selectors.timeline import TimelineData
from inbox.services.snooze import (
    WOKE_ENDED,
    WOKE_REPLIED,
    WOKE_UNSNOOZED,
    thread_snooze,
    thread_wake,
    threads_wake_due,
)
from inbox.timeline import event_sentence
from tests.factories import (
    AgentFactory,
    EmailChannelFactory,
    ForwardingAddressFactory,
    ThreadFactory,
    WorkspaceFactory,
)
from tests.inbox.inbound.conftest import store_inbound

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
OUT_OF_OFFICE = (
    b"From: Anna Berg <anna@customer.example>\r\nTo: support@acme.example\r\n"
    b"Subject: Out of office\r\nMessage-ID: <ooo@customer.example>\r\nAuto-Submitted: auto-replied\r\n"
    b"In-Reply-To: <first@customer.example>\r\nReferences: <first@customer.example>\r\n"
    b"Content-Type: text/plain\r\n\r\nI am away.\r\n"
)


@pytest.fixture
def thread(workspace):
    return ThreadFactory(workspace=workspace)


def events(thread: Thread, kind: str) -> list[ThreadEvent]:
    return list(ThreadEvent.objects.filter(thread=thread, kind=kind).order_by("id"))


def open_ids(workspace, agent, view: str = "open") -> set[int]:
    page = thread_list(workspace=workspace, agent=agent, filters=ListFilters(view=view))
    return {thread.pk for thread in page.threads}


def test_snoozing_hides_the_thread_from_the_open_views_until_it_wakes(workspace, agent, thread):
    thread.assignee = agent.user
    thread.save()
    until = timezone.now() + timedelta(hours=3)

    thread_snooze(thread=thread, until=until, by=agent)

    thread.refresh_from_db()
    assert thread.snoozed_until == until
    for view in ("open", "mine", "unassigned"):
        assert thread.pk not in open_ids(workspace, agent, view)
    assert open_ids(workspace, agent, "snoozed") == {thread.pk}
    (event,) = events(thread, ThreadEvent.Kind.SNOOZED)
    assert event.actor_id == agent.user_id
    assert event.data["until"] == until.isoformat() and event.data["from_until"] is None


def test_the_wake_up_task_brings_due_threads_back_and_says_why(workspace, agent, thread):
    later = ThreadFactory(workspace=workspace)
    now = timezone.now()
    thread_snooze(thread=thread, until=now + timedelta(hours=1), by=agent)
    thread_snooze(thread=later, until=now + timedelta(days=2), by=agent)

    assert threads_wake_due(now=now + timedelta(minutes=30)) == 0
    assert threads_wake_due(now=now + timedelta(hours=1, seconds=1)) == 1

    thread.refresh_from_db()
    later.refresh_from_db()
    assert thread.snoozed_until is None and thread.woke_reason == WOKE_ENDED
    assert later.snoozed_until is not None
    (event,) = events(thread, ThreadEvent.Kind.WOKE)
    assert event.actor_id is None and event.data["reason"] == WOKE_ENDED
    assert open_ids(workspace, agent) == {thread.pk}
    assert open_ids(workspace, agent, "snoozed") == {later.pk}
    # Idempotent: nothing more to wake.
    assert threads_wake_due(now=now + timedelta(hours=2)) == 0


def test_the_wake_up_task_finds_due_threads_in_one_query(workspace, agent):
    now = timezone.now()
    for _ in range(3):
        thread_snooze(
            thread=ThreadFactory(workspace=workspace), until=now + timedelta(hours=1), by=agent
        )
    with CaptureQueriesContext(connection) as captured:
        threads_wake_due(now=now + timedelta(hours=2))
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 1
    assert "snoozed_until" in selects[0]


def test_a_thread_past_its_time_is_back_in_the_views_before_the_task_runs(workspace, agent, thread):
    thread_snooze(thread=thread, until=timezone.now() + timedelta(minutes=5), by=agent)
    Thread.objects.filter(pk=thread.pk).update(snoozed_until=timezone.now() - timedelta(seconds=1))
    assert thread.pk in open_ids(workspace, agent)
    assert thread.pk not in open_ids(workspace, agent, "snoozed")


def test_snoozing_again_moves_the_time(agent, thread):
    now = timezone.now()
    thread_snooze(thread=thread, until=now + timedelta(hours=1), by=agent)
    thread_snooze(thread=thread, until=now + timedelta(days=1), by=agent)
    thread.refresh_from_db()
    assert thread.snoozed_until == now + timedelta(days=1)
    assert (
        events(thread, ThreadEvent.Kind.SNOOZED)[-1].data["from_until"]
        == (now + timedelta(hours=1)).isoformat()
    )


def test_unsnoozing_brings_it_back_with_no_banner(agent, thread):
    thread_snooze(thread=thread, until=timezone.now() + timedelta(hours=1), by=agent)
    thread_wake(thread=thread, reason=WOKE_UNSNOOZED, by=agent)
    thread.refresh_from_db()
    assert thread.snoozed_until is None and thread.woke_reason == ""
    (event,) = events(thread, ThreadEvent.Kind.WOKE)
    assert event.actor_id == agent.user_id and event.data["reason"] == WOKE_UNSNOOZED


def test_waking_a_thread_that_is_not_snoozed_records_nothing(agent, thread):
    thread_wake(thread=thread, reason=WOKE_UNSNOOZED, by=agent)
    assert not events(thread, ThreadEvent.Kind.WOKE)
    with pytest.raises(ValueError):
        thread_wake(thread=thread, reason="bored", by=agent)


@pytest.mark.parametrize(
    ("fields", "until_delta", "sentence"),
    [
        ({"status": Thread.Status.CLOSED}, timedelta(hours=1), "reopen it first"),
        ({"is_spam": True}, timedelta(hours=1), "Only conversations in the inbox"),
        ({"kind": Thread.Kind.FORWARDING_CONFIRMATION}, timedelta(hours=1), "Only conversations"),
        ({}, -timedelta(minutes=1), "Pick a time in the future."),
        ({}, timedelta(days=400), "within the next year"),
    ],
)
def test_what_cannot_be_snoozed_is_refused(workspace, agent, fields, until_delta, sentence):
    thread = ThreadFactory(workspace=workspace, **fields)
    with pytest.raises(Refused, match=sentence):
        thread_snooze(thread=thread, until=timezone.now() + until_delta, by=agent)
    thread.refresh_from_db()
    assert thread.snoozed_until is None


def test_an_agent_of_another_workspace_cannot_snooze(thread):
    stranger = AgentFactory(workspace=WorkspaceFactory())
    with pytest.raises(Refused):
        thread_snooze(thread=thread, until=timezone.now() + timedelta(hours=1), by=stranger)


@pytest.fixture
def mail_channel(workspace):
    channel = EmailChannelFactory(workspace=workspace, default_from_username="support")
    ForwardingAddressFactory(channel=channel)
    return channel


def deliver(raw: bytes, channel) -> Message:
    row = store_inbound(raw, channel.forwarding_address.address)
    process_inbound_email(row.pk)
    return Message.objects.select_related("thread").get(inbound=row)


def test_the_contact_writing_wakes_the_thread_at_once(workspace, agent, mail_channel):
    thread = deliver(FIRST, mail_channel).thread
    thread_snooze(thread=thread, until=timezone.now() + timedelta(days=3), by=agent)

    assert deliver(ANSWER, mail_channel).thread_id == thread.pk

    thread.refresh_from_db()
    assert thread.snoozed_until is None and thread.woke_reason == WOKE_REPLIED
    (event,) = events(thread, ThreadEvent.Kind.WOKE)
    assert event.actor_id is None and event.data["reason"] == WOKE_REPLIED
    assert thread.pk in open_ids(workspace, agent)


def test_an_out_of_office_does_not_wake_the_thread(agent, mail_channel):
    thread = deliver(FIRST, mail_channel).thread
    until = timezone.now() + timedelta(days=3)
    thread_snooze(thread=thread, until=until, by=agent)

    message = deliver(OUT_OF_OFFICE, mail_channel)

    assert message.thread_id == thread.pk and message.is_auto_reply
    thread.refresh_from_db()
    assert thread.snoozed_until == until
    assert not events(thread, ThreadEvent.Kind.WOKE)


def test_a_second_message_after_waking_records_no_second_wake(agent, mail_channel):
    thread = deliver(FIRST, mail_channel).thread
    thread_snooze(thread=thread, until=timezone.now() + timedelta(days=3), by=agent)
    deliver(ANSWER, mail_channel)
    deliver(ANSWER.replace(b"<second@", b"<third@").replace(b"Found", b"And"), mail_channel)
    assert len(events(thread, ThreadEvent.Kind.WOKE)) == 1
    thread.refresh_from_db()
    # The banner gives way to the newer message.
    assert thread.woke_reason == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_the_due_threads_query_can_use_the_partial_index(workspace):
    ThreadFactory(workspace=workspace)
    query = (
        Thread.objects.filter(snoozed_until__lte=timezone.now())
        .order_by("snoozed_until")
        .values_list("pk", "workspace_id", "snoozed_until")[:500]
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "thread_snoozed_until" in plan, plan


def test_without_a_broker_a_timer_of_the_process_wakes_it_on_time(
    agent, thread, monkeypatch, django_capture_on_commit_callbacks
):
    # `make run` without REDIS_URL has no beat: the snooze schedules its own wake-up.
    scheduled = []
    monkeypatch.setattr(
        "inbox.services.snooze.run_in_process_at",
        lambda task, args, *, eta: scheduled.append((task.name, args, eta)),
    )
    until = timezone.now() + timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        thread_snooze(thread=thread, until=until, by=agent)
    assert scheduled == [("inbox.tasks.wake_snoozed", (), until + timedelta(seconds=1))]


def test_beat_runs_the_wake_up_task_every_minute(settings, agent, thread):
    from inbox.tasks import wake_snoozed

    entry = settings.CELERY_CONFIG["beat_schedule"]["inbox-wake-snoozed"]
    assert entry == {"task": wake_snoozed.name, "schedule": 60.0}
    thread_snooze(thread=thread, until=timezone.now() + timedelta(minutes=5), by=agent)
    Thread.objects.filter(pk=thread.pk).update(snoozed_until=timezone.now() - timedelta(seconds=1))
    assert wake_snoozed() == 1


def test_the_timeline_says_until_when_on_the_snoozers_clock_and_why_it_woke(workspace, thread):
    ada = AgentFactory(workspace=workspace, user__first_name="Ada", user__last_name="Lovelace")
    ada.time_zone = "Europe/Berlin"
    ada.save()
    until = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
    now = datetime(2030, 1, 3, 12, 0, tzinfo=UTC)
    thread_snooze(thread=thread, until=until, by=ada, now=now)
    threads_wake_due(now=until)
    names = TimelineData(notes=[], events=[], agent_names={}, team_names={}, contact_emails={})
    sentences = [
        event_sentence(event, names)
        for event in ThreadEvent.objects.filter(thread=thread).select_related("actor")
    ]
    assert sentences == [
        "Ada Lovelace snoozed this until Mon 7 Jan 2030, 09:00 (Europe/Berlin)",
        "System woke this up: the snooze ended",
    ]


def test_closing_a_snoozed_thread_ends_its_snooze(workspace, agent, thread):
    from inbox.services.threads import thread_set_status

    thread_snooze(thread=thread, until=timezone.now() + timedelta(days=2), by=agent)
    thread_set_status(thread=thread, status=Thread.Status.CLOSED, by=agent)
    thread_set_status(thread=thread, status=Thread.Status.OPEN, by=agent)
    thread.refresh_from_db()
    assert thread.snoozed_until is None
    assert thread.pk in open_ids(workspace, agent)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_the_snoozed_view_reads_only_snoozed_threads(workspace, agent):
    now = timezone.now()
    channel = EmailChannelFactory(workspace=workspace)
    Thread.objects.bulk_create(
        Thread(workspace=workspace, channel=channel, subject=f"t{n}", last_message_at=now)
        for n in range(3000)
    )
    for thread in Thread.objects.filter(workspace=workspace)[:5]:
        thread_snooze(thread=thread, until=now + timedelta(days=1), by=agent)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inbox_thread")
    with CaptureQueriesContext(connection) as captured:
        page = thread_list(workspace=workspace, agent=agent, filters=ListFilters(view="snoozed"))
    assert len(page.threads) == 5
    (listing,) = [q["sql"] for q in captured.captured_queries if "ORDER BY" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {listing}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # Either partial index: with few snoozed threads overall, the range on snoozed_until wins.
    assert "thread_snoozed_list" in plan or "thread_snoozed_until" in plan, plan
