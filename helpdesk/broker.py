"""Publishing a task when the broker may be down.

Every caller has already committed the row the task works on (an inbound delivery, a reply), so
a broker outage only delays the work: a sweeper on Celery beat queues the row again once the
broker is back (docs/reliability.md, "Broker down", "Replies while the broker is down"). The
request that stored the row must still answer normally.
"""

from __future__ import annotations

import logging

from celery import Task

logger = logging.getLogger(__name__)


def queue_task(task: Task, *args: object, description: str) -> bool:
    """`task.delay(*args)`; False (logged, never raised) when the broker cannot take it.

    Publishing gives up fast (settings `task_publish_retry_policy`, `broker_connection_timeout`).
    Any error counts: kombu's OperationalError is the usual one, but a half-open connection can
    surface as a redis-py or socket error, and the row is safe whatever the error was.
    """
    try:
        task.delay(*args)
    except Exception:
        logger.warning(
            "Could not queue %s; the sweeper will queue it again", description, exc_info=True
        )
        return False
    return True
