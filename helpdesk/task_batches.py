"""Many small calls of one task coalesced into one publish per moment, per process.

A publish is not free (kombu takes a connection from its pool and serialises the call, ~2 ms):
the inbound pipeline would pay it for every mail only to record a bell notification. Instead
`queue_soon` buffers the call's item and a timer publishes everything buffered
`TASK_BATCH_SECONDS` later as ONE call `task.delay(items)`. The buffer lives in this process's
memory: a crash loses at most that window's items, so only work that may be lost (or that a
sweeper redoes) goes through here. A publish the broker refuses (Redis down) keeps its items
for the next window, up to RETAIN_MAX of them; only the publish at exit cannot try again.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from dataclasses import dataclass, field

from celery import Task
from django.conf import settings

from helpdesk.broker import queue_task, run_in_this_thread

logger = logging.getLogger(__name__)

# A full buffer is published at once: memory stays bounded whatever the rate.
MAX_ITEMS = 500
# While the broker refuses, items wait for the next window; beyond this many the oldest go.
RETAIN_MAX = 20_000


@dataclass
class _Buffer:
    task: Task
    description: str
    items: list[object] = field(default_factory=list)
    timer: threading.Timer | None = None
    refused: bool = False  # the last publish failed: the timer, not callers, tries again
    dropped: int = 0  # items given up while the broker refused (said once, when taken)


_lock = threading.Lock()
_buffers: dict[str, _Buffer] = {}  # by task name


def queue_soon(task: Task, item: object, *, description: str) -> None:
    """Have `task(items)` run with `item` among its items within TASK_BATCH_SECONDS.

    `item` must be JSON-able. TASK_BATCH_SECONDS <= 0 publishes `task([item])` at once, here.
    """
    seconds = settings.TASK_BATCH_SECONDS
    if seconds <= 0:
        _publish(task, [item], description=description)
        return
    full: list[object] = []
    with _lock:
        buffer = _buffers.setdefault(task.name, _Buffer(task=task, description=description))
        buffer.items.append(item)
        if len(buffer.items) >= MAX_ITEMS and not buffer.refused:
            full = _take(task.name)
        else:
            _trim(buffer)
            _arm(buffer, seconds)
    if full and not _publish(task, full, description=description):
        _keep_for_next_window(task, full, description=description)


def flush() -> None:
    """Publish everything buffered now (at exit, and when a worker process shuts down)."""
    with _lock:
        due = [(buffer, _take(name)) for name, buffer in list(_buffers.items())]
    for buffer, items in due:
        if items:
            _publish(buffer.task, items, description=buffer.description)


def buffered(task: Task) -> list[object]:
    """What is waiting for `task` in this process (a copy)."""
    with _lock:
        buffer = _buffers.get(task.name)
        return list(buffer.items) if buffer else []


def _take(name: str) -> list[object]:
    """Empty the task's buffer and stop its timer; the caller holds the lock."""
    buffer = _buffers.pop(name, None)
    if buffer is None:
        return []
    if buffer.timer is not None:
        buffer.timer.cancel()
    if buffer.dropped:
        logger.warning(
            "The broker was down: %d buffered %s dropped", buffer.dropped, buffer.description
        )
    return buffer.items


def _arm(buffer: _Buffer, seconds: float) -> None:
    """Start the buffer's timer unless it runs; the caller holds the lock."""
    if buffer.timer is None:
        buffer.timer = threading.Timer(seconds, _publish_when_due, args=(buffer.task.name,))
        buffer.timer.daemon = True
        buffer.timer.start()


def _publish_when_due(name: str) -> None:
    with _lock:
        buffer = _buffers.get(name)
        if buffer is None or buffer.timer is not threading.current_thread():
            return  # flushed (or full and published) in the meantime
        items = _take(name)
    if buffer.task.app.conf.task_always_eager:
        # In-process tasks (no broker: `make run`): this timer thread runs the task.
        run_in_this_thread(buffer.task, (items,))
    elif not _publish(buffer.task, items, description=buffer.description):
        _keep_for_next_window(buffer.task, items, description=buffer.description)


def _keep_for_next_window(task: Task, items: list[object], *, description: str) -> None:
    """The broker refused `items`: put them back before what arrived meanwhile, keep at most
    RETAIN_MAX (the newest), and have the timer try again."""
    with _lock:
        buffer = _buffers.setdefault(task.name, _Buffer(task=task, description=description))
        buffer.items[:0] = items
        buffer.refused = True
        _trim(buffer)
        _arm(buffer, max(settings.TASK_BATCH_SECONDS, 0.1))


def _trim(buffer: _Buffer) -> None:
    """At most RETAIN_MAX items wait (the newest); the caller holds the lock."""
    dropped = len(buffer.items) - RETAIN_MAX
    if dropped > 0:
        del buffer.items[:dropped]
        buffer.dropped += dropped


def _publish(task: Task, items: list[object], *, description: str) -> bool:
    return queue_task(task, items, description=f"{description} ({len(items)} buffered)")


def _forget_after_fork() -> None:
    """A forked child (a prefork worker process) starts empty: the parent publishes its own
    items, and the parent's timer threads do not exist here. The lock may have been held by
    another thread of the parent at the fork: the child gets a new one."""
    global _lock, _buffers
    _lock = threading.Lock()
    _buffers = {}


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(flush)
