"""Publishing a task when the broker may be down.

Every caller has already committed the row the task works on (an inbound delivery, a reply), so
a broker outage only delays the work: a sweeper on Celery beat queues the row again once the
broker is back (docs/reliability.md, "Broker down", "Replies while the broker is down"). The
request that stored the row must still answer normally.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from celery import Task
from django.db import connections
from django.utils import timezone

logger = logging.getLogger(__name__)


def queue_task(task: Task, *args: object, description: str, eta: datetime | None = None) -> bool:
    """`task.delay(*args)`; False (logged, never raised) when the broker cannot take it.

    Publishing gives up fast (settings `task_publish_retry_policy`, `broker_connection_timeout`).
    Any error counts: kombu's OperationalError is the usual one, but a half-open connection can
    surface as a redis-py or socket error, and the row is safe whatever the error was.

    With `eta` the task runs no earlier than then: the broker holds it (`apply_async(eta=)`),
    or, when tasks run in-process (no broker: Celery ignores an eta there), a timer thread of
    this process runs it then.
    """
    try:
        if eta is None:
            task.delay(*args)
        elif task.app.conf.task_always_eager:
            run_in_process_at(task, args, eta=eta)
        else:
            task.apply_async(args, eta=eta)
    except Exception:
        logger.warning(
            "Could not queue %s; the sweeper will queue it again", description, exc_info=True
        )
        return False
    return True


def run_in_process_at(task: Task, args: tuple[object, ...], *, eta: datetime) -> threading.Timer:
    """Run `task` in a daemon timer thread of this process at `eta` (the in-process mode of a
    delayed task). The task must tolerate a lost timer (a restart in between): the row it works
    on is committed, and the task's own checks decide."""

    delay = max(0.0, (eta - timezone.now()).total_seconds())
    timer = threading.Timer(delay, run_in_this_thread, args=(task, args))
    timer.daemon = True
    timer.start()
    return timer


def run_in_this_thread(task: Task, args: tuple[object, ...]) -> None:
    """Run `task` in this (timer) thread, as in-process mode does, then close the database
    connections the thread opened (this thread's, not the server's)."""
    try:
        task.apply(args)
    finally:
        connections.close_all()
