"""The Celery app. Configuration lives in settings.CELERY_CONFIG."""

from __future__ import annotations

import logging
import os

from celery import Celery, Task
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    task_postrun,
    task_prerun,
    worker_process_shutdown,
)

from helpdesk.redaction import RedactAddressesFilter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")


@app.on_configure.connect
def _configure_from_django(sender: Celery, **kwargs: object) -> None:
    from django.conf import settings

    sender.conf.update(settings.CELERY_CONFIG)


@after_setup_logger.connect
@after_setup_task_logger.connect
def _redact_addresses_in_worker_logs(logger: logging.Logger, **kwargs: object) -> None:
    """A worker installs its own handlers (stderr or --logfile), bypassing settings.LOGGING:
    they redact too, or Celery's retry lines would print the addresses its exceptions quote."""
    for handler in logger.handlers:
        if not any(isinstance(found, RedactAddressesFilter) for found in handler.filters):
            handler.addFilter(RedactAddressesFilter())


@task_prerun.connect
@task_postrun.connect
def _drop_dead_database_connections(sender: Task | None = None, **kwargs: object) -> None:
    """What Django does around every request, around every task.

    A worker keeps its connections between tasks (CONN_MAX_AGE, CELERY_DB_REUSE_MAX), so after
    a PostgreSQL restart it would keep failing on a closed connection. This drops a connection
    that saw an error and is no longer usable, or outlived CONN_MAX_AGE; CONN_HEALTH_CHECKS then
    checks the next reused connection before the task's first query.
    """
    if sender is None or getattr(sender.request, "is_eager", False):
        # An eager task runs inside its caller's request or test transaction: leave it alone.
        return
    from django.db import close_old_connections

    close_old_connections()


@worker_process_shutdown.connect
def _publish_buffered_task_calls(**kwargs: object) -> None:
    """A prefork child leaves through os._exit, which skips atexit: what `queue_soon` still
    holds (helpdesk/task_batches.py) is published here, so a warm shutdown loses none of it."""
    from helpdesk.task_batches import flush

    flush()


app.autodiscover_tasks()
