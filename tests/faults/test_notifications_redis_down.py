"""Bell notifications of mail processed while Redis is down are published once it is back.

The pipeline buffers its notifications per process and publishes them once a second
(helpdesk/task_batches.py). A publish the broker refuses keeps its items for the next window,
so an outage shorter than the process's life loses none of them and sends none twice.
"""

from __future__ import annotations

import base64
import json

import pytest
import redis

from helpdesk.task_batches import buffered
from inbox.inbound.pipeline import process_inbound_email
from inbox.models import Notification, Thread
from inbox.tasks import notify_batch
from tests.factories import (
    AgentFactory,
    EmailChannelFactory,
    ForwardingAddressFactory,
    WorkspaceFactory,
)
from tests.faults.private_services import PrivateRedis, wait_until
from tests.inbox.inbound.conftest import store_inbound

pytestmark = [pytest.mark.services, pytest.mark.django_db]

MAILS = 12


def _mail(number: int, address: str) -> bytes:
    return (
        f"From: Customer {number} <customer{number}@outage.example>\r\nTo: {address}\r\n"
        f"Subject: Question {number}\r\nMessage-ID: <outage-{number}@outage.example>\r\n"
        "Content-Type: text/plain\r\n\r\nHello?\r\n"
    ).encode()


def _published_items(client: redis.Redis, queue: str) -> list[dict]:
    items = []
    for message in client.lrange(queue, 0, -1):
        envelope = json.loads(message)
        assert envelope["headers"]["task"] == notify_batch.name
        args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        items.extend(args[0])
    return items


def test_notifications_buffered_through_a_redis_outage_are_published_once_when_it_is_back(
    private_redis: PrivateRedis,
    publish_to: str,
    settings,
    django_capture_on_commit_callbacks,
    caplog,
) -> None:
    settings.TASK_BATCH_SECONDS = 0.2
    workspace = WorkspaceFactory()
    agent = AgentFactory(workspace=workspace)
    channel = EmailChannelFactory(
        workspace=workspace, default_from_username="support", auto_assign=True
    )
    channel.assign_users.add(agent.user)
    address = ForwardingAddressFactory(channel=channel).address

    private_redis.stop()
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(MAILS):
            process_inbound_email(store_inbound(_mail(number, address), address).pk)
    threads = set(Thread.objects.filter(channel=channel).values_list("pk", flat=True))
    assert len(threads) == MAILS  # the mail itself never waits for Redis
    wait_until(
        # Refused, and kept for the next window.
        lambda: (
            "Could not queue notifications" in caplog.text and len(buffered(notify_batch)) == MAILS
        ),
        timeout=30,
        what="the notifications refused while Redis was down were not kept",
    )

    private_redis.start()
    client = redis.Redis.from_url(private_redis.url)
    wait_until(
        lambda: not buffered(notify_batch) and client.llen(publish_to) > 0,
        timeout=30,
        what="the buffered notifications were not published after Redis came back",
    )
    items = _published_items(client, publish_to)
    assert sorted(item["thread_id"] for item in items) == sorted(threads)  # each once
    assert {item["kind"] for item in items} == {Notification.Kind.ASSIGNED}

    notify_batch.apply(args=[items])  # what a worker does with them
    assert (
        Notification.objects.filter(recipient=agent.user, kind=Notification.Kind.ASSIGNED).count()
        == MAILS
    )
