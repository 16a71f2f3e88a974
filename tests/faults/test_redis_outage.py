"""A busy worker survives Redis going away and coming back, three times, and loses no mail.

celery 5.7.0 closes a broken broker connection twice (kombu's `collect()`, then `close()`); the
second close restores the unacknowledged message of a task still running through a transport
kombu has already released, and `_connparams` raises AttributeError ('NoneType' object has no
attribute 'hostname'), which the worker treats as unrecoverable: it exits, with its embedded
beat. It happens when an outage starts while a task is running, so each outage here starts then,
and mail keeps arriving until the last outage has started: once the backlog is processed, nothing
else would run for an outage to catch.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from inbox.models import InboundEmail, Message
from inbox.services.intake import inbound_email_receive
from tests.conftest import database_url_for_subprocess, skip_or_fail
from tests.factories import ForwardingAddressFactory
from tests.faults.conftest import log_tail
from tests.faults.private_services import (
    PrivateRedis,
    ServiceError,
    start_worker,
    stop_process,
    wait_until,
)
from tests.inbox.payloads import simple_message

pytestmark = pytest.mark.services

MAILS = 200  # at least; more arrive while an outage still waits for a task to catch
MAILS_AT_MOST = 3000
OUTAGES = 3
OUTAGE_SECONDS = 4.0
FINAL = ["accepted", "rejected", "duplicate", "failed"]


def worker_env(redis_url: str, queue: str) -> dict[str, str]:
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url_for_subprocess(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        # The embedded beat's sweeper queues what was stored while the broker was away.
        "INBOUND_REQUEUE_AFTER_SECONDS": "5",
        "INBOUND_SWEEP_INTERVAL_SECONDS": "2",
        "TESTING": "true",
        "DEBUG": "false",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def processed() -> int:
    return InboundEmail.objects.filter(status__in=FINAL).count()


def when_a_task_runs(worker: subprocess.Popen[bytes], timeout: float) -> None:
    """Return as soon as a row is being processed (a task is running and not yet acked)."""
    deadline = time.monotonic() + timeout
    while not InboundEmail.objects.filter(status="processing").exists():
        if time.monotonic() > deadline or worker.poll() is not None:
            state = "alive" if worker.poll() is None else "dead"
            raise ServiceError(
                f"no task was running to be caught by the outage ({processed()} processed of "
                f"{InboundEmail.objects.count()}, the worker {state})"
            )
        time.sleep(0.002)


def outages_while_busy(
    redis: PrivateRedis,
    worker: subprocess.Popen[bytes],
    errors: list[BaseException],
    done: threading.Event,
) -> None:
    try:
        for number in range(OUTAGES):
            share = (number + 1) * MAILS // (OUTAGES + 2)
            wait_until(
                lambda share=share: processed() >= share or worker.poll() is not None,
                timeout=60,
                what=f"the worker did not get through mail before outage {number + 1}",
            )
            when_a_task_runs(worker, timeout=30)
            redis.outage(OUTAGE_SECONDS)
    except BaseException as error:
        errors.append(error)
    finally:
        done.set()
        connection.close()


def deliver(address: str, outages_done: threading.Event) -> list[str]:
    """Deliver MAILS mails, and more until the outages are over; their Message-IDs."""
    message_ids: list[str] = []
    while len(message_ids) < MAILS or not outages_done.is_set():
        if len(message_ids) >= MAILS_AT_MOST:
            break
        message_id = f"<{uuid.uuid4().hex}@outage.example>"
        inbound_email_receive(
            raw=simple_message(
                to=address, subject=f"Outage {len(message_ids)}", message_id=message_id
            ),
            esp="mailgun",
            envelope_recipient=address,
        )
        message_ids.append(message_id)
        time.sleep(0.03)
    return message_ids


@pytest.fixture
def worker_with_beat(
    private_redis: PrivateRedis, publish_to: str, transactional_db: None, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """A worker as `make worker` runs it (prefork, beat embedded), ready; and its log."""
    if connection.vendor != "postgresql":
        skip_or_fail("a worker process and this test share the database only on PostgreSQL")
    log = tmp_path / "worker.log"
    env = worker_env(private_redis.url, publish_to)
    worker = start_worker(env, queue=publish_to, log_path=log, beat=True)
    try:
        try:
            wait_until(lambda: "ready." in log.read_text(), timeout=60, what="no worker")
        except ServiceError:
            pytest.fail(f"the worker did not start:\n{log_tail(log)}")
        yield worker, log
    finally:
        stop_process(worker)


def test_the_worker_survives_three_redis_outages_while_mail_keeps_arriving(
    private_redis: PrivateRedis, worker_with_beat: tuple[subprocess.Popen[bytes], Path]
) -> None:
    worker, log = worker_with_beat
    address = ForwardingAddressFactory().address
    errors: list[BaseException] = []
    outages_done = threading.Event()
    chaos = threading.Thread(
        target=outages_while_busy, args=(private_redis, worker, errors, outages_done)
    )
    chaos.start()
    message_ids = deliver(address, outages_done)
    chaos.join(timeout=120)
    assert worker.poll() is None, f"the worker died:\n{log_tail(log)}"
    assert not errors, errors
    assert outages_done.is_set()
    wait_until(
        lambda: processed() >= len(message_ids) or worker.poll() is not None,
        timeout=60,
        what="the mail was not all processed",
    )
    assert worker.poll() is None, f"the worker died:\n{log_tail(log)}"
    assert InboundEmail.objects.count() == len(message_ids)
    assert InboundEmail.objects.filter(status="accepted").count() == len(message_ids)
    assert sorted(Message.objects.values_list("message_id", flat=True)) == sorted(message_ids)
