"""Buffered task calls: one publish per window carrying every item, in order; flushed at exit
and at a worker process's shutdown; never inherited by a forked child."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from celery.signals import worker_process_shutdown
from kombu.exceptions import OperationalError

from helpdesk import broker, task_batches
from helpdesk.celery import app as celery_app
from helpdesk.task_batches import MAX_ITEMS, buffered, flush, queue_soon
from tests.conftest import reset_broker_pools

ran: list[tuple[list[object], str]] = []  # (items, thread name) of every run of record_items


@celery_app.task(name="tests.helpdesk.record_items")
def record_items(items: list[object]) -> int:
    ran.append((list(items), threading.current_thread().name))
    return len(items)


def _batch_timers() -> list[threading.Timer]:
    return [
        thread
        for thread in threading.enumerate()
        if getattr(thread, "function", None) is task_batches._publish_when_due
    ]


@pytest.fixture(autouse=True)
def _empty_buffers() -> Iterator[None]:
    """Nothing buffered leaks into another test (or to the atexit flush)."""
    ran.clear()
    yield
    for timer in _batch_timers():
        timer.cancel()
        timer.join(timeout=5)
    task_batches._forget_after_fork()


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """What a broker would have received: the arguments of every `record_items` publish."""
    calls: list[tuple[object, ...]] = []

    def apply_async(args: tuple[object, ...] = (), kwargs: object = None, **options: object):
        calls.append(tuple(args))

    monkeypatch.setattr(record_items, "apply_async", apply_async)
    celery_app.conf.task_always_eager = False  # a broker, not in-process (conftest restores it)
    return calls


def _wait_for_the_timers(seconds: float = 2.0) -> None:
    deadline = time.monotonic() + seconds
    for timer in _batch_timers():
        timer.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not _batch_timers(), "a batch timer is still waiting"


def test_calls_within_the_window_are_published_once_with_every_item_in_order(
    settings, published
) -> None:
    settings.TASK_BATCH_SECONDS = 0.3
    for number in range(50):
        queue_soon(record_items, {"n": number}, description="records")
    assert published == []  # nothing goes before the window ends
    _wait_for_the_timers()
    assert published == [([{"n": number} for number in range(50)],)]
    assert buffered(record_items) == []


def test_the_next_call_after_a_publish_opens_a_new_window(settings, published) -> None:
    settings.TASK_BATCH_SECONDS = 0.1
    queue_soon(record_items, 1, description="records")
    _wait_for_the_timers()
    queue_soon(record_items, 2, description="records")
    queue_soon(record_items, 3, description="records")
    _wait_for_the_timers()
    assert published == [([1],), ([2, 3],)]


def test_a_window_of_zero_publishes_each_call_at_once_in_the_caller(settings, published) -> None:
    settings.TASK_BATCH_SECONDS = 0
    queue_soon(record_items, "a", description="records")
    queue_soon(record_items, "b", description="records")
    assert published == [(["a"],), (["b"],)]
    assert not _batch_timers()


def test_a_full_buffer_is_published_at_once(settings, published) -> None:
    settings.TASK_BATCH_SECONDS = 60
    for number in range(MAX_ITEMS + 1):
        queue_soon(record_items, number, description="records")
    assert published == [(list(range(MAX_ITEMS)),)]
    assert buffered(record_items) == [MAX_ITEMS]  # the next window has begun


def test_flush_publishes_at_once_and_cancels_the_timer(settings, published) -> None:
    settings.TASK_BATCH_SECONDS = 60
    queue_soon(record_items, "a", description="records")
    queue_soon(record_items, "b", description="records")
    (timer,) = _batch_timers()
    flush()
    assert published == [(["a", "b"],)]
    timer.join(timeout=2)
    assert not timer.is_alive()  # cancelled: it will not publish the same items again
    assert published == [(["a", "b"],)]
    flush()
    assert published == [(["a", "b"],)]  # nothing left


def test_a_worker_process_shutting_down_publishes_what_it_buffered(settings, published) -> None:
    settings.TASK_BATCH_SECONDS = 60
    queue_soon(record_items, "late", description="records")
    worker_process_shutdown.send(sender=None, pid=os.getpid(), exitcode=0)
    assert published == [(["late"],)]


def test_a_broker_outage_is_logged_and_never_reaches_the_caller(
    settings, monkeypatch, caplog
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(record_items, "apply_async", refuse)
    celery_app.conf.task_always_eager = False
    settings.TASK_BATCH_SECONDS = 60
    queue_soon(record_items, "a", description="records")
    flush()
    assert "Could not queue records (1 buffered)" in caplog.text
    assert buffered(record_items) == []


def test_a_refused_publish_keeps_its_items_for_the_next_window_in_order(
    settings, monkeypatch, caplog
) -> None:
    published: list[list[object]] = []
    broker_up = threading.Event()

    def apply_async(args: tuple[object, ...] = (), kwargs: object = None, **options: object):
        if not broker_up.is_set():
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        published.append(list(args[0]))  # type: ignore[call-overload]

    monkeypatch.setattr(record_items, "apply_async", apply_async)
    celery_app.conf.task_always_eager = False
    settings.TASK_BATCH_SECONDS = 0.1
    for item in ("a", "b"):
        queue_soon(record_items, item, description="records")
    deadline = time.monotonic() + 2
    while "Could not queue records" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    assert published == [] and "Could not queue records (2 buffered)" in caplog.text
    queue_soon(record_items, "c", description="records")  # arrives while the broker is down
    assert buffered(record_items) == ["a", "b", "c"]
    broker_up.set()
    _wait_for_the_timers()
    assert published == [["a", "b", "c"]]  # each item once, the oldest first
    assert buffered(record_items) == []


def test_while_the_broker_refuses_a_full_buffer_waits_for_the_timer_and_keeps_the_newest(
    settings, monkeypatch, caplog
) -> None:
    attempts: list[int] = []

    def refuse(args: tuple[object, ...] = (), kwargs: object = None, **options: object):
        attempts.append(len(args[0]))  # type: ignore[arg-type]
        raise OperationalError("Connection refused.")

    monkeypatch.setattr(record_items, "apply_async", refuse)
    monkeypatch.setattr(task_batches, "RETAIN_MAX", MAX_ITEMS + 10)
    celery_app.conf.task_always_eager = False
    settings.TASK_BATCH_SECONDS = 60
    for number in range(MAX_ITEMS):
        queue_soon(record_items, number, description="records")
    assert attempts == [MAX_ITEMS]  # full: published at once, refused, kept
    for number in range(MAX_ITEMS, MAX_ITEMS + 20):
        queue_soon(record_items, number, description="records")
    assert attempts == [MAX_ITEMS]  # no caller tries again: the timer will
    kept = buffered(record_items)
    assert kept == list(range(10, MAX_ITEMS + 20))  # at most RETAIN_MAX, the newest
    flush()
    assert "The broker was down: 10 buffered records dropped" in caplog.text  # said once
    assert caplog.text.count("records dropped") == 1


def test_the_fork_hook_leaves_the_child_an_empty_buffer(settings, published) -> None:
    settings.TASK_BATCH_SECONDS = 60
    queue_soon(record_items, "parent's", description="records")
    task_batches._forget_after_fork()  # what os.register_at_fork runs in a child
    assert buffered(record_items) == []
    flush()
    assert published == []  # the parent's items are the parent's to publish
    queue_soon(record_items, "child's", description="records")  # the new lock works
    assert buffered(record_items) == ["child's"]


def test_a_forked_child_starts_empty_while_the_parent_keeps_its_items(settings) -> None:
    settings.TASK_BATCH_SECONDS = 60
    queue_soon(record_items, "parent's", description="records")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave at once, running nothing of pytest's
        os.write(write_end, json.dumps(buffered(record_items)).encode())
        os._exit(0)
    os.close(write_end)
    seen_by_child = json.loads(os.read(read_end, 1000))
    os.close(read_end)
    os.waitpid(pid, 0)
    assert seen_by_child == []
    assert buffered(record_items) == ["parent's"]


def test_without_a_broker_the_timer_thread_runs_the_task_then_closes_its_connections(
    settings, monkeypatch
) -> None:
    closed_in: list[str] = []
    monkeypatch.setattr(
        broker.connections,  # the timer runs the task through helpdesk.broker
        "close_all",
        lambda: closed_in.append(threading.current_thread().name),
    )
    settings.TASK_BATCH_SECONDS = 0.1
    assert celery_app.conf.task_always_eager
    queue_soon(record_items, "a", description="records")
    queue_soon(record_items, "b", description="records")
    assert ran == []
    _wait_for_the_timers()
    ((items, thread_name),) = ran
    assert items == ["a", "b"]
    assert thread_name != threading.current_thread().name
    assert closed_in == [thread_name]


@pytest.mark.services
def test_one_message_reaches_redis_for_every_call_in_the_window(settings, redis_url) -> None:
    """Against the real broker: the queue holds ONE task message carrying all the items."""
    import redis

    queue = f"test-batches-{uuid.uuid4().hex[:12]}"
    previous = (celery_app.conf.task_default_queue, celery_app.conf.broker_url)
    reset_broker_pools()
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    celery_app.conf.broker_url = redis_url
    client = redis.Redis.from_url(redis_url)
    try:
        settings.TASK_BATCH_SECONDS = 0.3
        for number in range(20):
            queue_soon(record_items, number, description="records")
        assert client.llen(queue) == 0
        _wait_for_the_timers()
        messages = client.lrange(queue, 0, -1)
    finally:
        client.delete(queue)
        celery_app.conf.task_default_queue, celery_app.conf.broker_url = previous
        reset_broker_pools()
    (message,) = messages
    envelope = json.loads(message)
    assert envelope["headers"]["task"] == "tests.helpdesk.record_items"
    args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
    assert args == [list(range(20))]
