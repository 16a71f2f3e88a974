"""Undo send: a reply waits its workspace's grace period, enforced on the server, and may be
taken back until a task claims it."""

from __future__ import annotations

import base64
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from helpdesk import broker
from helpdesk.celery import app as celery_app
from helpdesk.refusals import Refused
from inbox.models import Attachment, Message, Thread
from inbox.selectors.outbound import unclaimed_reply_ids
from inbox.services import outbound, undo_send
from inbox.tasks import send_message
from tests.factories import AgentFactory
from tests.image_host import PNG

pytestmark = pytest.mark.django_db


@pytest.fixture
def grace(workspace):
    workspace.undo_send_seconds = 10
    workspace.save()
    return 10


@pytest.fixture
def timers(monkeypatch):
    """The in-process timers asked for (task name, args, eta), none started."""
    asked: list[tuple[str, tuple, object]] = []
    monkeypatch.setattr(
        broker, "run_in_process_at", lambda task, args, *, eta: asked.append((task.name, args, eta))
    )
    return asked


def _reply(conversation, agent, capture, **fields):
    with capture(execute=True):
        return outbound.reply_create(
            thread=conversation, agent=agent, body_text="Have you tried water?", **fields
        )


def test_a_reply_waits_the_grace_period_before_its_task_runs(
    conversation, agent, grace, timers, django_capture_on_commit_callbacks
):
    now = timezone.now()
    message = _reply(conversation, agent, django_capture_on_commit_callbacks, now=now)
    assert message.send_after == now + timedelta(seconds=10)
    assert timers == [(send_message.name, (message.pk,), message.send_after)]
    assert mail.outbox == []
    assert Message.objects.get(pk=message.pk).delivery_status == Message.DeliveryStatus.SENDING


def test_with_a_broker_the_task_is_published_with_its_eta(
    conversation, agent, grace, django_capture_on_commit_callbacks
):
    celery_app.conf.task_always_eager = False  # restored by the autouse fixture
    with mock.patch.object(send_message, "apply_async") as apply_async:
        message = _reply(conversation, agent, django_capture_on_commit_callbacks)
    apply_async.assert_called_once_with((message.pk,), eta=message.send_after)


def test_zero_seconds_sends_at_once(conversation, agent, django_capture_on_commit_callbacks):
    assert conversation.workspace.undo_send_seconds == 0
    message = _reply(conversation, agent, django_capture_on_commit_callbacks)
    assert message.send_after is None
    assert Message.objects.get(pk=message.pk).delivery_status == Message.DeliveryStatus.SENT
    assert len(mail.outbox) == 1


def test_a_task_that_runs_early_sends_nothing_and_waits_for_the_deadline(
    conversation, agent, grace, timers, django_capture_on_commit_callbacks
):
    message = _reply(conversation, agent, django_capture_on_commit_callbacks)
    timers.clear()
    assert outbound.message_send(message_id=message.pk) == "deferred"
    assert mail.outbox == []
    assert timers == [(send_message.name, (message.pk,), message.send_after)]
    stored = Message.objects.get(pk=message.pk)
    assert stored.send_started_at is None and stored.delivery_attempts == 0
    later = message.send_after + timedelta(milliseconds=1)
    assert outbound.message_send(message_id=message.pk, now=later) == "sent"
    assert len(mail.outbox) == 1


def test_the_sweeper_leaves_a_reply_in_its_grace_period_alone(
    conversation, agent, grace, timers, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_REQUEUE_AFTER_SECONDS = 0
    message = _reply(conversation, agent, django_capture_on_commit_callbacks)
    assert unclaimed_reply_ids(stored_before=timezone.now()) == []
    assert unclaimed_reply_ids(stored_before=message.send_after) == [message.pk]
    assert outbound.reply_requeue_unsent(now=timezone.now()) == 0
    assert mail.outbox == []


def test_a_reply_in_its_grace_period_is_not_stuck(
    conversation, agent, django_capture_on_commit_callbacks, timers
):
    conversation.workspace.undo_send_seconds = 60
    conversation.workspace.save()
    message = _reply(conversation, agent, django_capture_on_commit_callbacks)
    soon = message.created_at + outbound.UNCLAIMED_TOO_LONG + timedelta(seconds=30)
    assert not outbound.is_stuck(message, soon)
    assert outbound.is_stuck(message, soon + timedelta(seconds=31))


def test_undo_removes_the_reply_and_gives_back_what_the_agent_wrote(
    conversation, agent, grace, timers, django_capture_on_commit_callbacks
):
    before = Thread.objects.get(pk=conversation.pk)
    upload = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    message = _reply(
        conversation,
        agent,
        django_capture_on_commit_callbacks,
        body_html="<p>Have you tried <b>water</b>?</p>",
        cc="boss@customer.example",
        files=[upload],
    )
    stored_file = Attachment.objects.get(message=message).file
    with django_capture_on_commit_callbacks(execute=True):
        undone = undo_send.reply_undo(message=message, by=agent)
    assert undone.html == "<p>Have you tried <b>water</b>?</p>"
    assert undone.text == "Have you tried water?"
    assert "Cheers" not in undone.text and "signature" not in undone.html
    assert undone.cc == "boss@customer.example" and undone.had_attachments
    assert not Message.objects.filter(pk=message.pk).exists()
    assert not stored_file.storage.exists(stored_file.name)
    after = Thread.objects.get(pk=conversation.pk)
    assert (after.message_count, after.last_message_at, after.snippet) == (
        before.message_count,
        before.last_message_at,
        "It started smoking",
    )
    # Its task still runs at the deadline (a timer, the broker's eta): it finds nothing to send.
    assert outbound.message_send(message_id=message.pk, now=message.send_after) == "skipped"
    assert mail.outbox == []


def test_undo_gives_back_pasted_images_as_data_urls(
    conversation, agent, grace, timers, django_capture_on_commit_callbacks
):
    png = base64.b64encode(PNG).decode()
    message = _reply(
        conversation,
        agent,
        django_capture_on_commit_callbacks,
        body_html=f'<p>Look:</p><p><img src="data:image/png;base64,{png}"></p>',
    )
    assert "cid:" in message.html  # stored and sent as an inline part
    undone = undo_send.reply_undo(message=message, by=agent)
    assert f'src="data:image/png;base64,{png}"' in undone.html
    assert "cid:" not in undone.html and not undone.had_attachments


def test_an_undone_reply_is_never_sent_by_the_sweeper(
    conversation, agent, grace, timers, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_REQUEUE_AFTER_SECONDS = 0
    message = _reply(conversation, agent, django_capture_on_commit_callbacks)
    undo_send.reply_undo(message=message, by=agent)
    with django_capture_on_commit_callbacks(execute=True):
        queued = outbound.reply_requeue_unsent(now=message.send_after + timedelta(minutes=1))
    assert queued == 0 and mail.outbox == []


def test_too_late_once_a_task_claimed_the_send(
    conversation, agent, grace, timers, django_capture_on_commit_callbacks
):
    message = _reply(conversation, agent, django_capture_on_commit_callbacks)
    Message.objects.filter(pk=message.pk).update(send_started_at=message.send_after)
    with pytest.raises(Refused, match="Too late to undo"):
        undo_send.reply_undo(message=message, by=agent)
    assert Message.objects.filter(pk=message.pk).exists()


def test_too_late_once_it_is_sent(conversation, agent, django_capture_on_commit_callbacks):
    message = _reply(conversation, agent, django_capture_on_commit_callbacks)
    with pytest.raises(Refused, match="Too late to undo"):
        undo_send.reply_undo(message=message, by=agent)
    assert Message.objects.get(pk=message.pk).delivery_status == Message.DeliveryStatus.SENT


def test_only_its_author_can_undo_a_reply(
    conversation, agent, grace, timers, django_capture_on_commit_callbacks
):
    message = _reply(conversation, agent, django_capture_on_commit_callbacks)
    colleague = AgentFactory(workspace=conversation.workspace)
    with pytest.raises(Refused, match="Only the agent who wrote"):
        undo_send.reply_undo(message=message, by=colleague)
    assert Message.objects.filter(pk=message.pk).exists()


@pytest.mark.parametrize(
    ("seconds_after_now", "expected"), [(8.2, 9), (8.0, 8), (0.4, 1), (0, 0), (-3, 0)]
)
def test_seconds_left_rounds_up(seconds_after_now, expected):
    now = timezone.now()
    message = Message(send_after=now + timedelta(seconds=seconds_after_now))
    assert undo_send.seconds_left(message, now=now) == expected


def test_the_grace_period_setting_is_bounded(workspace):
    undo_send.undo_send_seconds_set(workspace=workspace, seconds=30)
    workspace.refresh_from_db()
    assert workspace.undo_send_seconds == 30
    with pytest.raises(Refused, match="between 0 and 60"):
        undo_send.undo_send_seconds_set(workspace=workspace, seconds=61)


def test_in_process_a_delayed_task_runs_in_a_timer_at_its_eta():
    ran: list[float] = []

    @celery_app.task(name="tests.undo_send.probe")
    def probe(value: int) -> None:
        ran.append(time.monotonic())

    started = time.monotonic()
    eta = timezone.now() + timedelta(seconds=0.4)
    assert broker.queue_task(probe, 1, description="probe", eta=eta)
    assert ran == []
    deadline = started + 5
    while not ran and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ran and ran[0] - started >= 0.35


@pytest.mark.django_db(transaction=True)
def test_in_process_mode_sends_the_reply_after_the_grace_period(workspace, agent, channel):
    """`make run` without Redis: the reply's task waits in a timer thread of the server."""
    from tests.factories import ContactFactory, ThreadFactory

    workspace.undo_send_seconds = 1
    workspace.save()
    agent.workspace.refresh_from_db()
    contact = ContactFactory(workspace=workspace, email="jane@customer.example")
    thread = ThreadFactory(workspace=workspace, channel=channel, contact=contact)
    message = outbound.reply_create(thread=thread, agent=agent, body_text="Hi")  # commits
    time.sleep(0.5)
    assert Message.objects.get(pk=message.pk).delivery_status == Message.DeliveryStatus.SENDING
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if Message.objects.get(pk=message.pk).delivery_status == Message.DeliveryStatus.SENT:
            break
        time.sleep(0.1)
    assert Message.objects.get(pk=message.pk).delivery_status == Message.DeliveryStatus.SENT
    assert len(mail.outbox) == 1


@pytest.mark.services
def test_a_real_worker_waits_the_grace_period_and_skips_an_undone_reply(celery_worker):
    """With Redis and a worker: the task is published with its eta; undo wins before it."""
    from tests.factories import ContactFactory, EmailChannelFactory, ThreadFactory

    agent = AgentFactory()
    agent.workspace.undo_send_seconds = 2
    agent.workspace.save()
    channel = EmailChannelFactory(workspace=agent.workspace)
    contact = ContactFactory(workspace=agent.workspace, email="jane@customer.example")
    thread = ThreadFactory(workspace=agent.workspace, channel=channel, contact=contact)
    kept = outbound.reply_create(thread=thread, agent=agent, body_text="Kept")
    undone = outbound.reply_create(thread=thread, agent=agent, body_text="Taken back")
    undo_send.reply_undo(message=undone, by=agent)
    time.sleep(1)
    assert Message.objects.get(pk=kept.pk).delivery_status == Message.DeliveryStatus.SENDING
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        kept.refresh_from_db()
        if kept.delivery_status != Message.DeliveryStatus.SENDING:
            break
        time.sleep(0.2)
    assert kept.delivery_status == Message.DeliveryStatus.SENT, kept.delivery_error
    assert kept.send_started_at >= kept.send_after
    assert not Message.objects.filter(pk=undone.pk).exists()
