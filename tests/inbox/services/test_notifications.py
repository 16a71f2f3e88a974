"""Notifications: who is told, through which channel, and how emails are batched."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from celery.signals import task_postrun, task_prerun
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpdesk import task_batches
from helpdesk.models import Agent
from inbox.inbound.pipeline import process_inbound_email
from inbox.models import Message, Notification, NotificationPreference
from inbox.services import notifications as services
from inbox.services.notifications import Channels, channels_for, notify
from inbox.services.outbound import message_send
from inbox.services.threads import thread_assign
from inbox.tasks import notify_batch
from tests.factories import (
    AgentFactory,
    EmailChannelFactory,
    ForwardingAddressFactory,
    MessageFactory,
    ThreadFactory,
    WorkspaceFactory,
)
from tests.inbox.inbound.conftest import store_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()


@pytest.mark.parametrize(
    ("in_app", "email", "is_away", "expected"),
    [
        (True, True, False, Channels(in_app=True, email=True)),
        (True, False, False, Channels(in_app=True, email=False)),
        (True, False, True, Channels(in_app=True, email=True)),  # away: the bell is not enough
        (False, True, False, Channels(in_app=False, email=True)),
        (False, False, True, Channels(in_app=False, email=False)),  # chose nothing: nothing
    ],
)
def test_channels_follow_the_choice_and_away_agents_get_email(in_app, email, is_away, expected):
    assert channels_for(in_app=in_app, email=email, is_away=is_away) == expected


def _notify(thread, recipients, *, actor_id=None, kind="mentioned", **kwargs):
    notify(
        workspace_id=thread.workspace_id,
        recipient_ids=recipients,
        kind=kind,
        thread_id=thread.pk,
        actor_id=actor_id,
        data={},
        **kwargs,
    )


def test_notify_skips_the_actor_and_strangers_in_one_bulk_insert(
    workspace, django_capture_on_commit_callbacks
):
    thread = ThreadFactory(workspace=workspace)
    actor, bob, carol = (AgentFactory(workspace=workspace) for _ in range(3))
    stranger = AgentFactory()  # another workspace's agent: never notified here
    with (
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
        CaptureQueriesContext(connection) as captured,
    ):
        _notify(
            thread,
            [actor.user_id, bob.user_id, carol.user_id, stranger.user_id],
            actor_id=actor.user_id,
        )
    inserts = [q for q in captured.captured_queries if q["sql"].upper().startswith("INSERT")]
    assert len(inserts) == 1
    assert len(captured.captured_queries) <= 3  # agents, preferences, the insert
    recipients = set(Notification.objects.values_list("recipient_id", flat=True))
    assert recipients == {bob.user_id, carol.user_id}
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [bob.user.email, carol.user.email]
    )


def test_preferences_choose_bell_email_both_or_neither(
    workspace, django_capture_on_commit_callbacks
):
    thread = ThreadFactory(workspace=workspace)
    bell_only, email_only, neither = (AgentFactory(workspace=workspace) for _ in range(3))
    NotificationPreference.objects.create(
        user=bell_only.user, kind="mentioned", in_app=True, email=False
    )
    NotificationPreference.objects.create(
        user=email_only.user, kind="mentioned", in_app=False, email=True
    )
    NotificationPreference.objects.create(
        user=neither.user, kind="mentioned", in_app=False, email=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        _notify(thread, [bell_only.user_id, email_only.user_id, neither.user_id])
    rows = {row.recipient_id: row for row in Notification.objects.all()}
    assert set(rows) == {bell_only.user_id, email_only.user_id}
    assert rows[bell_only.user_id].in_app and not rows[email_only.user_id].in_app
    assert [message.to for message in mail.outbox] == [[email_only.user.email]]


def test_an_away_agent_who_chose_the_bell_only_is_emailed(
    workspace, django_capture_on_commit_callbacks
):
    thread = ThreadFactory(workspace=workspace)
    away = AgentFactory(workspace=workspace, availability=Agent.Availability.AWAY)
    NotificationPreference.objects.create(user=away.user, kind="assigned", in_app=True, email=False)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(thread, [away.user_id], kind="assigned")
    assert [message.to for message in mail.outbox] == [[away.user.email]]


def test_the_email_is_auto_submitted_carries_our_loop_header_and_links_the_thread(
    workspace, django_capture_on_commit_callbacks
):
    thread = ThreadFactory(workspace=workspace, subject="Broken printer")
    bob = AgentFactory(workspace=workspace)
    alice = AgentFactory(workspace=workspace, user__first_name="Alice", user__last_name="Doe")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(thread, [bob.user_id], actor_id=alice.user_id)
    (email,) = mail.outbox
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    assert email.extra_headers["X-Loop"].startswith("helpdesk@")
    assert "Alice Doe mentioned you in a note." in email.body
    assert f"/inbox/threads/{thread.pk}/" in email.body


def test_no_email_is_queued_before_the_transaction_commits(workspace):
    thread = ThreadFactory(workspace=workspace)
    bob = AgentFactory(workspace=workspace)
    with pytest.raises(RuntimeError), transaction.atomic():
        _notify(thread, [bob.user_id])
        raise RuntimeError("the caller's change failed")
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_an_unknown_kind_is_a_programming_error(workspace):
    thread = ThreadFactory(workspace=workspace)
    with pytest.raises(ValueError):
        _notify(thread, [AgentFactory(workspace=workspace).user_id], kind="birthday")


def test_emails_about_one_thread_are_batched_per_five_minutes(
    workspace, django_capture_on_commit_callbacks
):
    thread = ThreadFactory(workspace=workspace, subject="Invoice")
    bob = AgentFactory(workspace=workspace)
    start = timezone.now()

    def email_at(minutes: float) -> int:
        at = start + timedelta(minutes=minutes)
        with django_capture_on_commit_callbacks(execute=True) as queued:
            sent = services.notification_email_send(
                recipient_id=bob.user_id, thread_id=thread.pk, now=at
            )
        return sent if sent else -len(queued)  # -1: one deferred summary was scheduled

    def event_at(minutes: float) -> None:
        with django_capture_on_commit_callbacks(execute=False):  # the task is run by hand here
            _notify(
                thread,
                [bob.user_id],
                kind="customer_replied",
                now=start + timedelta(minutes=minutes),
            )

    event_at(0)
    assert email_at(0) == 1  # the first goes at once
    event_at(1)
    assert email_at(1) == -1  # held: one summary is scheduled for minute 5
    event_at(2)
    assert email_at(2) == 0  # held, the summary is already scheduled
    assert email_at(5) == 2  # the summary carries both held notifications
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject.endswith("2 updates on “Invoice”")
    assert not Notification.objects.filter(email_pending=True).exists()


def test_a_person_assigning_notifies_the_assignee_but_not_themselves(
    workspace, django_capture_on_commit_callbacks
):
    thread = ThreadFactory(workspace=workspace)
    alice, bob = AgentFactory(workspace=workspace), AgentFactory(workspace=workspace)
    with django_capture_on_commit_callbacks(execute=True):
        thread_assign(thread=thread, assignee=bob, by=alice)
        thread_assign(thread=thread, assignee=alice, by=alice)  # taking it: no notification
    (row,) = Notification.objects.all()
    assert (row.recipient_id, row.actor_id, row.kind) == (bob.user_id, alice.user_id, "assigned")


def test_a_reply_that_fails_to_send_notifies_its_sender(
    workspace, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.inbox.services.test_notifications.RefusingBackend"
    thread = ThreadFactory(workspace=workspace)
    sender = AgentFactory(workspace=workspace)
    MessageFactory(thread=thread)
    reply = MessageFactory(
        thread=thread,
        direction=Message.Direction.OUT,
        sent_by=sender.user,
        delivery_status=Message.DeliveryStatus.SENDING,
        from_email="support@acme.example",
        to="jane@customer.example",
    )
    with django_capture_on_commit_callbacks(execute=False):
        assert message_send(message_id=reply.pk) == "failed"
    (row,) = Notification.objects.all()
    assert (row.recipient_id, row.kind, row.data) == (
        sender.user_id,
        "delivery_failed",
        {"message_id": reply.pk},
    )


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the ESP is down")


NEW = (
    b"From: Ana Smith <ana@customer.example>\r\nTo: support@acme.example\r\n"
    b"Subject: My order\r\nMessage-ID: <first@customer.example>\r\n"
    b"Content-Type: text/plain\r\n\r\nWhere is my order?\r\n"
)


def _reply(number: int) -> bytes:
    return (
        "From: Ana Smith <ana@customer.example>\r\nTo: support@acme.example\r\n"
        f"Subject: Re: My order\r\nMessage-ID: <reply-{number}@customer.example>\r\n"
        "In-Reply-To: <first@customer.example>\r\nReferences: <first@customer.example>\r\n"
        f"Content-Type: text/plain\r\n\r\nAny news? ({number})\r\n"
    ).encode()


@pytest.fixture
def mail_channel(workspace):
    channel = EmailChannelFactory(workspace=workspace, default_from_username="support")
    ForwardingAddressFactory(channel=channel)
    return channel


def _deliver(channel, raw: bytes, capture) -> Message:
    from inbox.inbound.pipeline import process_inbound_email
    from tests.inbox.inbound.conftest import store_inbound

    row = store_inbound(raw, channel.forwarding_address.address)
    with capture(execute=True):
        process_inbound_email(row.pk)
    return Message.objects.get(inbound=row)


def test_a_rule_assignment_and_customer_replies_notify_the_assignee(
    mail_channel, django_capture_on_commit_callbacks
):
    channel = mail_channel
    bob = AgentFactory(workspace=channel.workspace)
    channel.auto_assign = True
    channel.save()
    channel.assign_users.add(bob.user)
    first = _deliver(channel, NEW, django_capture_on_commit_callbacks)
    assert first.thread.assignee_id == bob.user_id
    _deliver(channel, _reply(1), django_capture_on_commit_callbacks)
    kinds = list(
        Notification.objects.filter(recipient=bob.user).order_by("id").values_list("kind", "data")
    )
    assert kinds == [
        ("assigned", {"by": "rule"}),
        ("customer_replied", {"from": "Ana Smith"}),
    ]


def test_scripted_burst_of_50_customer_replies_sends_the_agent_two_emails(
    mail_channel, django_capture_on_commit_callbacks
):
    """The issue's burst: 50 customer replies on one assigned thread within 2 minutes, through
    the real pipeline. The agent gets the first at once and one summary when the window ends."""
    channel = mail_channel
    bob = AgentFactory(workspace=channel.workspace)
    first = _deliver(channel, NEW, django_capture_on_commit_callbacks)
    # Assigned earlier (that notification's email window is long closed).
    first.thread.__class__.objects.filter(pk=first.thread_id).update(assignee=bob.user)
    mail.outbox.clear()
    started = timezone.now()
    for number in range(50):
        _deliver(channel, _reply(number), django_capture_on_commit_callbacks)
    assert timezone.now() - started < timedelta(minutes=2)
    to_bob = [message for message in mail.outbox if message.to == [bob.user.email]]
    during_burst = len(to_bob)
    # The deferred summary task runs when the 5-minute window closes (a worker's countdown).
    window_end = started + timedelta(minutes=5, seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        summarised = services.notification_email_send(
            recipient_id=bob.user_id, thread_id=first.thread_id, now=window_end
        )
    to_bob = [message for message in mail.outbox if message.to == [bob.user.email]]
    bell = Notification.objects.filter(recipient=bob.user, kind="customer_replied").count()
    print(
        f"\nburst: 50 customer replies -> {bell} bell notifications, {during_burst} email during "
        f"the burst, {len(to_bob)} emails in all (the last summarises {summarised})"
    )
    assert during_burst == 1
    assert len(to_bob) == 2 and summarised == 49
    assert "49 updates" in to_bob[1].subject


def test_a_deactivated_login_is_not_notified(workspace):
    thread = ThreadFactory(workspace=workspace)
    gone = AgentFactory(workspace=workspace, user__is_active=False)
    _notify(thread, [gone.user_id])
    assert not Notification.objects.exists()


@pytest.fixture
def notify_batch_runs() -> Iterator[tuple[list[list[dict]], threading.Event]]:
    """The items of every `notify_batch` run (in-process ones too), and an event set when one
    has finished."""
    runs: list[list[dict]] = []
    finished = threading.Event()

    def started(sender=None, args=(), **kwargs):
        if getattr(sender, "name", "") == notify_batch.name:
            runs.append(list(args[0]))

    def ended(sender=None, **kwargs):
        if getattr(sender, "name", "") == notify_batch.name:
            finished.set()

    task_prerun.connect(started, weak=False)
    task_postrun.connect(ended, weak=False)
    yield runs, finished
    task_prerun.disconnect(started)
    task_postrun.disconnect(ended)


def _wait_for_batch_timers(seconds: float = 3.0) -> None:
    """Until the coalescer's timer threads have published, run and closed their connections."""
    deadline = time.monotonic() + seconds
    for thread in threading.enumerate():
        if getattr(thread, "function", None) is task_batches._publish_when_due:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
            assert not thread.is_alive(), "the batch timer did not finish in time"


def _bell_rows(kind: str, *, expected: int, seconds: float = 3.0) -> int:
    """Poll until `expected` rows of `kind` exist (written by a timer thread) or time is up."""
    deadline = time.monotonic() + seconds
    while (count := Notification.objects.filter(kind=kind).count()) < expected:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return count


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_a_timer_thread_writes_the_notifications_buffered_in_its_window(
    settings, notify_batch_runs
):
    runs, finished = notify_batch_runs
    settings.TASK_BATCH_SECONDS = 1.0
    workspace = WorkspaceFactory()
    thread = ThreadFactory(workspace=workspace)
    bob, carol = AgentFactory(workspace=workspace), AgentFactory(workspace=workspace)
    for agent in (bob, carol):  # autocommit: each on-commit hook runs at once
        services.notify_later(
            thread_id=thread.pk, kind="mentioned", actor_id=None, data={},
            recipient_ids=[agent.user_id],
        )  # fmt: skip
    assert runs == []  # buffered: nothing is written before the window ends
    assert _bell_rows("mentioned", expected=2) == 2
    assert finished.wait(3)
    _wait_for_batch_timers()
    assert [len(items) for items in runs] == [2]
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {
        bob.user_id,
        carol.user_id,
    }


@pytest.mark.django_db(transaction=True)
def test_twenty_customer_replies_make_twenty_bell_rows_through_one_notify_batch(
    mail_channel, settings, notify_batch_runs
):
    runs, finished = notify_batch_runs
    settings.TASK_BATCH_SECONDS = 0.2
    address = mail_channel.forwarding_address.address
    bob = AgentFactory(workspace=mail_channel.workspace)
    process_inbound_email(store_inbound(NEW, address).pk)
    first = Message.objects.get()
    first.thread.__class__.objects.filter(pk=first.thread_id).update(assignee=bob.user)
    # Twenty pipeline transactions, each committed; the outer one only makes their on-commit
    # hooks run together, so that all fall in one window however slow this machine is.
    with transaction.atomic():
        for number in range(20):
            process_inbound_email(store_inbound(_reply(number), address).pk)
    assert finished.wait(3), "no notify_batch ran"
    _wait_for_batch_timers()
    assert [len(items) for items in runs] == [20]
    assert [item["data"] for item in runs[0]] == [{"from": "Ana Smith"}] * 20
    assert Notification.objects.filter(recipient=bob.user, kind="customer_replied").count() == 20


def test_one_failing_notification_does_not_stop_the_others_in_its_batch(
    workspace, caplog, django_capture_on_commit_callbacks
):
    thread = ThreadFactory(workspace=workspace)
    bob = AgentFactory(workspace=workspace)

    def item(kind: str) -> dict:
        return {
            "thread_id": thread.pk, "kind": kind, "actor_id": None,
            "data": {"from": "Ana Smith"}, "recipient_ids": [bob.user_id], "allow_email": False,
        }  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        result = notify_batch.apply(
            ([item("customer_replied"), item("birthday"), item("assigned")],)
        )
    assert result.successful() and result.get() == 2
    assert sorted(Notification.objects.values_list("kind", flat=True)) == [
        "assigned",
        "customer_replied",
    ]
    assert "A birthday notification failed: ValueError" in caplog.text
    assert "Ana Smith" not in caplog.text  # the values are never logged
