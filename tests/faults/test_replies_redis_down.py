"""Replies posted while Redis is down answer normally and each is sent once when it is back.

Redis is the broker and the cache. With it stopped, the reply view used to raise from its
on-commit hook (kombu's OperationalError, then redis-py's ConnectionError from the cache): a 500,
a reply left "sending" forever, and an agent tempted to post it again. Now the reply is stored,
the agent sees it queued, and the outbound sweeper on beat queues it once the broker is back;
the claim on the row lets exactly one send through however many tasks the sweeper queued.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.test import Client
from django.utils import timezone

from inbox.models import Message
from inbox.services import outbound
from tests.conftest import database_url_for_subprocess
from tests.factories import AgentFactory, ContactFactory, EmailChannelFactory, ThreadFactory
from tests.faults.conftest import log_tail
from tests.faults.private_services import PrivateRedis, start_worker, stop_process, wait_until
from tests.faults.reply_drill import replies_redis_down
from tests.faults.stack import Stack

pytestmark = pytest.mark.services

REPLIES_WHILE_DOWN = 5
QUEUED = "Queued: it will be sent when the mail service is reachable"


def worker_env(redis_url: str, queue: str, outbox: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url_for_subprocess(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(outbox),
        # The embedded beat sweeps every second and queues every unclaimed reply at once, so
        # tasks of the same reply race each other in the pool: the claim must hold.
        "OUTBOUND_REQUEUE_AFTER_SECONDS": "0",
        "OUTBOUND_SWEEP_INTERVAL_SECONDS": "1",
        "TESTING": "true",
        "DEBUG": "false",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def mails_per_message_id(outbox: Path) -> Counter[str]:
    """How many times each Message-ID was written by the file backend (one file per batch)."""
    written = "".join(path.read_text() for path in sorted(outbox.glob("*.log")))
    return Counter(re.findall(r"^Message-ID: (<[^>]+>)$", written, flags=re.MULTILINE))


def test_replies_posted_while_redis_is_down_are_each_sent_once_when_it_is_back(
    private_redis: PrivateRedis,
    publish_to: str,
    transactional_db: None,
    settings: object,
    tmp_path: Path,
) -> None:
    # The cache is the same Redis in production: it goes down with the broker.
    settings.CACHES = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
        }
    }
    agent = AgentFactory()
    channel = EmailChannelFactory(workspace=agent.workspace, company_name="Acme")
    contact = ContactFactory(workspace=agent.workspace, email="jane@customer.example")
    thread = ThreadFactory(workspace=agent.workspace, channel=channel, contact=contact)
    client = Client(raise_request_exception=False)
    client.force_login(agent.user)
    reply_url = f"/inbox/threads/{thread.pk}/reply/"

    # One reply while Redis is up: this process's broker connection is live when Redis goes.
    assert client.post(reply_url, {"body": "Before the outage"}).status_code == 302
    private_redis.stop()
    statuses = []
    try:
        for number in range(REPLIES_WHILE_DOWN):
            headers = {"HX-Request": "true"} if number % 2 else {}
            response = client.post(reply_url, {"body": f"Reply {number}"}, headers=headers)
            statuses.append(response.status_code)
        page = client.get(f"/inbox/threads/{thread.pk}/")
    finally:
        private_redis.start()
    assert statuses == [302, 200, 302, 200, 302]
    assert page.status_code == 200
    assert page.content.decode().count(QUEUED) == REPLIES_WHILE_DOWN
    replies = list(Message.objects.filter(direction=Message.Direction.OUT).order_by("pk"))
    assert len(replies) == REPLIES_WHILE_DOWN + 1
    assert sum(outbound.is_waiting_for_broker(reply) for reply in replies) == REPLIES_WHILE_DOWN

    outbox = tmp_path / "sent"
    log = tmp_path / "worker.log"
    worker = start_worker(
        worker_env(private_redis.url, publish_to, outbox),
        queue=publish_to,
        log_path=log,
        beat=True,
    )
    try:
        # The sweeper here too, and the replies queued once more by hand: several tasks per reply.
        outbound.reply_requeue_unsent(now=timezone.now() + timedelta(hours=1))
        for reply in replies:
            outbound.queue_send(reply.pk)
        wait_until(
            lambda: (
                Message.objects.filter(delivery_status="sent").count() == len(replies)
                or worker.poll() is not None
            ),
            timeout=60,
            what="the replies were not all sent",
        )
        assert worker.poll() is None, f"the worker died:\n{log_tail(log)}"
        # Let every duplicate task run out before counting mail.
        broker = redis.Redis.from_url(private_redis.url)
        wait_until(lambda: broker.llen(publish_to) == 0, timeout=30, what="tasks left queued")
        time.sleep(3)
    finally:
        stop_process(worker)
    sent = Message.objects.filter(direction=Message.Direction.OUT)
    assert sorted(sent.values_list("delivery_status", flat=True)) == ["sent"] * len(replies)
    assert set(sent.values_list("delivery_error", flat=True)) == {""}
    assert set(sent.values_list("delivery_attempts", flat=True)) == {1}
    assert mails_per_message_id(outbox) == Counter({reply.message_id: 1 for reply in replies})


def test_the_replies_drill_through_gunicorn_sends_each_reply_once(private_stack: Stack) -> None:
    """`make drill`'s line for replies: an agent's browser posts to gunicorn, Redis stopped."""
    line = replies_redis_down(private_stack)

    assert line["answered_200"] == line["posted"] == 5, line
    assert line["answered_5xx"] == 0, line
    assert line["lost"] == 0 and line["duplicates"] == 0, line
    assert line["ledger_rows"] == line["messages"] == line["sent"] == 5, line
