"""Replies while the broker (Redis) is down: stored, shown as queued, sent once when it is back.

The real broker going away and coming back, with a real worker and beat, is
tests/faults/test_replies_redis_down.py; here the broker's refusal is kombu's own error.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone
from kombu.exceptions import OperationalError

from helpdesk.celery import app as celery_app
from inbox.models import Message
from inbox.services import outbound
from inbox.tasks import send_message
from tests.inbox.webhooks.conftest import broker_unreachable

pytestmark = pytest.mark.django_db

QUEUED = "Queued: it will be sent when the mail service is reachable"


@pytest.fixture
def broker_down() -> Iterator[mock.MagicMock]:
    """Publishing a task fails as it does with Redis down (kombu wraps the connection error)."""
    refusal = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch.object(send_message, "delay", side_effect=refusal) as delay:
        yield delay


def post_reply(client, thread, django_capture_on_commit_callbacks, **headers):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            f"/inbox/threads/{thread.pk}/reply/", {"body": "Have you tried water?"}, headers=headers
        )


def stored_while_down(thread, agent, *, minutes_ago: int = 10) -> Message:
    """A reply stored `minutes_ago` whose task the broker refused."""
    refusal = OperationalError("down")
    with mock.patch.object(send_message, "delay", side_effect=refusal):
        message = outbound.reply_create(
            thread=thread,
            agent=agent,
            body_text="Hi",
            now=timezone.now() - timedelta(minutes=minutes_ago),
        )
        outbound.queue_send(message.pk)  # what the on-commit hook did (tests run in a transaction)
    message.refresh_from_db()
    return message


def test_a_reply_posted_while_the_broker_is_down_is_stored_and_shown_queued(
    agent_client, conversation, broker_down, django_capture_on_commit_callbacks
):
    response = post_reply(agent_client, conversation, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert broker_down.call_count == 1
    message = Message.objects.get(direction=Message.Direction.OUT)
    assert message.delivery_status == Message.DeliveryStatus.SENDING
    assert message.send_started_at is None
    assert message.delivery_error.startswith(QUEUED)
    page = agent_client.get(response["Location"])
    assert page.status_code == 200
    footer = page.content.decode().split(f'id="message-{message.pk}"')[1].split("</footer>")[0]
    assert QUEUED in footer
    assert "Sending…" not in footer
    assert "taking too long" not in footer
    # The poller that refreshes a sending message shows the same.
    poll = agent_client.get(f"/inbox/threads/{conversation.pk}/messages/{message.pk}/")
    assert poll.status_code == 200
    assert QUEUED in poll.content.decode()
    assert not mail.outbox


def test_an_htmx_reply_while_the_broker_is_down_answers_200(
    agent_client, conversation, broker_down, django_capture_on_commit_callbacks
):
    response = post_reply(
        agent_client, conversation, django_capture_on_commit_callbacks, **{"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "inbox-sent" in response["HX-Trigger"]
    assert Message.objects.get(direction=Message.Direction.OUT).delivery_error.startswith(QUEUED)


@pytest.mark.django_db(transaction=True)
def test_a_reply_with_a_real_unreachable_broker_answers_normally(agent_client, conversation):
    """No mock: Celery publishes to a port nobody listens on and gives up fast."""
    with broker_unreachable():
        started = timezone.now()
        response = agent_client.post(
            f"/inbox/threads/{conversation.pk}/reply/", {"body": "Have you tried water?"}
        )
        elapsed = (timezone.now() - started).total_seconds()
    assert response.status_code == 302
    assert elapsed < 10
    message = Message.objects.get(direction=Message.Direction.OUT)
    assert outbound.is_waiting_for_broker(message)


@pytest.mark.django_db(transaction=True)
def test_a_reply_and_the_inbox_pages_work_while_the_cache_redis_is_down(
    agent_client, conversation, settings
):
    """The cache is the broker's Redis: counts are computed afresh instead of a 500."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    with broker_unreachable():
        response = agent_client.post(
            f"/inbox/threads/{conversation.pk}/reply/", {"body": "Have you tried water?"}
        )
        assert response.status_code == 302
        page = agent_client.get(response["Location"])
        assert page.status_code == 200
        assert QUEUED in page.content.decode()
        assert agent_client.get("/inbox/").status_code == 200


def test_a_retry_while_the_broker_is_down_answers_normally_and_shows_queued(
    agent_client, conversation, agent, broker_down, django_capture_on_commit_callbacks
):
    message = stored_while_down(conversation, agent)
    Message.objects.filter(pk=message.pk).update(
        delivery_status=Message.DeliveryStatus.FAILED, delivery_error="SMTPServerDisconnected"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(f"/inbox/messages/{message.pk}/retry/")
    assert response.status_code == 302
    message.refresh_from_db()
    assert outbound.is_waiting_for_broker(message)


def test_the_sweeper_sends_a_reply_stored_while_the_broker_was_down_once(conversation, agent):
    message = stored_while_down(conversation, agent)
    assert outbound.is_waiting_for_broker(message)
    # The broker is back (tasks run in-process here).
    assert outbound.reply_requeue_unsent(now=timezone.now()) == 1
    assert outbound.reply_requeue_unsent(now=timezone.now()) == 0
    message.refresh_from_db()
    assert message.delivery_status == Message.DeliveryStatus.SENT
    assert message.delivery_error == ""
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == message.message_id


def test_the_sweeper_leaves_fresh_claimed_sent_and_inbound_messages_alone(
    conversation, agent, settings
):
    settings.OUTBOUND_REQUEUE_AFTER_SECONDS = 60
    fresh = stored_while_down(conversation, agent, minutes_ago=0)
    claimed = stored_while_down(conversation, agent, minutes_ago=60)
    # Its worker died mid-send long ago: it may have left, so only the agent sends it again.
    Message.objects.filter(pk=claimed.pk).update(
        send_started_at=timezone.now() - timedelta(minutes=59)
    )
    sent = stored_while_down(conversation, agent)
    Message.objects.filter(pk=sent.pk).update(delivery_status=Message.DeliveryStatus.SENT)
    with mock.patch.object(send_message, "delay") as delay:
        assert outbound.reply_requeue_unsent(now=timezone.now()) == 0
    assert delay.call_count == 0
    assert Message.objects.get(pk=fresh.pk).delivery_status == Message.DeliveryStatus.SENDING


def test_the_sweeper_stops_at_the_first_refusal_while_the_broker_is_still_down(
    conversation, agent, broker_down
):
    replies = [stored_while_down(conversation, agent) for _ in range(3)]
    broker_down.reset_mock()
    assert outbound.reply_requeue_unsent(now=timezone.now()) == 0
    assert broker_down.call_count == 1
    assert all(outbound.is_waiting_for_broker(Message.objects.get(pk=r.pk)) for r in replies)


def test_a_late_task_after_the_sweeper_sent_the_reply_sends_nothing(conversation, agent):
    """The sweeper queued a reply whose first task was only delayed: the second run skips."""
    message = stored_while_down(conversation, agent)
    assert outbound.message_send(message_id=message.pk) == "sent"
    assert outbound.message_send(message_id=message.pk) == "skipped"
    assert len(mail.outbox) == 1


class SlowBackend(LocmemBackend):
    """An ESP that takes a moment: both racers are inside message_send at the same time."""

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        threading.Event().wait(0.3)
        return super().send_messages(email_messages)


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_and_a_late_task_racing_send_the_reply_once(conversation, agent, settings):
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    message = stored_while_down(conversation, agent)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def run() -> None:
        from django.db import connection

        try:
            barrier.wait(timeout=10)
            results.append(outbound.message_send(message_id=message.pk))
        finally:
            connection.close()

    racers = [threading.Thread(target=run) for _ in range(4)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=30)
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(mail.outbox) == 1
    assert Message.objects.get(pk=message.pk).delivery_attempts == 1


def test_beat_runs_the_outbound_sweeper():
    entry = settings.CELERY_CONFIG["beat_schedule"]["inbox-sweep-outbound"]
    assert entry["task"] == "inbox.tasks.sweep_outbound"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == float(settings.OUTBOUND_SWEEP_INTERVAL_SECONDS)
