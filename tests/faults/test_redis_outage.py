"""A busy worker survives Redis going away and coming back, three times, and loses no mail.

celery 5.7.0 closes a broken broker connection twice (kombu's `collect()`, then `close()`); the
second close restores the unacknowledged message of a task still running through a transport
kombu has already released, and `_connparams` raises AttributeError ('NoneType' object has no
attribute 'hostname'), which the worker treats as unrecoverable: it exits, with its embedded
beat. It happens when an outage starts while a task is running, so each outage here starts then.
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

MAILS = 200
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
            raise ServiceError("no task was running to be caught by the outage")
        time.sleep(0.002)


def outages_while_busy(
    redis: PrivateRedis, worker: subprocess.Popen[bytes], errors: list[BaseException]
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
        connection.close()


def deliver(address: str, message_ids: list[str]) -> None:
    for number, message_id in enumerate(message_ids):
        inbound_email_receive(
            raw=simple_message(to=address, subject=f"Outage {number}", message_id=message_id),
            esp="mailgun",
            envelope_recipient=address,
        )
        time.sleep(0.03)


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


def test_the_worker_survives_three_redis_outages_while_it_processes_200_mails(
    private_redis: PrivateRedis, worker_with_beat: tuple[subprocess.Popen[bytes], Path]
) -> None:
    worker, log = worker_with_beat
    address = ForwardingAddressFactory().address
    message_ids = [f"<{uuid.uuid4().hex}@outage.example>" for _ in range(MAILS)]
    errors: list[BaseException] = []
    chaos = threading.Thread(target=outages_while_busy, args=(private_redis, worker, errors))
    chaos.start()
    deliver(address, message_ids)
    chaos.join(timeout=120)
    assert worker.poll() is None, f"the worker died:\n{log_tail(log)}"
    assert not errors, errors
    wait_until(
        lambda: processed() >= MAILS or worker.poll() is not None,
        timeout=60,
        what="the mail was not all processed",
    )
    assert worker.poll() is None, f"the worker died:\n{log_tail(log)}"
    assert InboundEmail.objects.count() == MAILS
    assert InboundEmail.objects.filter(status="accepted").count() == MAILS
    assert sorted(Message.objects.values_list("message_id", flat=True)) == sorted(message_ids)
