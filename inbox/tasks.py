"""Celery tasks of the inbox: thin adapters that take ids; the pipeline and the services work.

Celery's autodiscovery reads this module (`<app>.tasks`).
"""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from inbox.inbound.pipeline import process_inbound_email, process_ready_batch
from inbox.services.intake import inbound_email_mark_failed, inbound_email_requeue_stale
from inbox.services.outbound import message_send, reply_requeue_unsent
from inbox.services.snooze import threads_wake_due
from inbox.services.ticket_status import threads_close_waiting

logger = logging.getLogger(__name__)


def retry_countdown(retries: int) -> int:
    """Seconds before the next attempt: 10, 20, 40, ... capped at 10 minutes."""
    return int(min(600, 10 * 2**retries))


@shared_task(bind=True, acks_late=True, max_retries=settings.TASK_MAX_RETRIES)
def process_inbound(self: Task, inbound_email_id: int) -> None:
    # Claiming the row (inside process_inbound_email) is a database step too: after a database
    # restart it is the first to meet a dead connection, so it is retried like the rest.
    try:
        process_inbound_email(inbound_email_id)
    except Exception as error:
        # acks_late alone would ack a raising task: retry a bounded number of times, then leave
        # a visible `failed` row with the error (docs/reliability.md, "A task that raises").
        if self.request.retries >= (self.max_retries or 0):
            inbound_email_mark_failed(
                inbound_email_id=inbound_email_id, error=error, now=timezone.now()
            )
            return
        raise self.retry(exc=error, countdown=retry_countdown(self.request.retries)) from error
    if settings.INBOUND_BATCH_SIZE > 1 and not self.request.is_eager:
        # Amortise the task: while mail is waiting, a worker takes more of it (README,
        # "Capacity"). Never in-process (eager), where this runs inside a webhook request.
        try:
            process_ready_batch(limit=settings.INBOUND_BATCH_SIZE - 1)
        except Exception:
            # The claim met the database down: the rows keep their own tasks and the sweeper.
            logger.warning("Taking more waiting mail failed", exc_info=True)


@shared_task
def sweep_inbound() -> int:
    return inbound_email_requeue_stale(now=timezone.now())


@shared_task
def sweep_outbound() -> int:
    """Queue replies whose send task was never published or was lost (the broker was down)."""
    return reply_requeue_unsent(now=timezone.now())


@shared_task
def send_message(message_id: int) -> str:
    """Send a stored reply once; a failure is recorded on the message, shown with a Retry."""
    return message_send(message_id=message_id)


@shared_task
def notify_task(arguments: dict) -> None:
    """A notification the inbound pipeline deferred past its transaction (statement budget).
    Queued one by one before `notify_batch`: kept for the messages still queued at a deploy."""
    from inbox.services.notifications import notify_task_run

    notify_task_run(arguments)


@shared_task
def notify_batch(items: list[dict]) -> int:
    """Notifications `notify_later` buffered together; each in its own transaction, one failing
    does not stop the others. Returns how many were applied."""
    from inbox.services.notifications import notify_task_run

    applied = 0
    for arguments in items:
        try:
            notify_task_run(arguments)
        except Exception as error:
            # The kind and the error's class only: the arguments hold names and addresses.
            logger.warning(
                "A %s notification failed: %s", arguments.get("kind"), type(error).__name__
            )
        else:
            applied += 1
    return applied


@shared_task
def send_notification_email(recipient_id: int, thread_id: int) -> int:
    """Email an agent what is pending on a thread, or schedule the batched summary."""
    from inbox.services.notifications import notification_email_send

    return notification_email_send(
        recipient_id=recipient_id, thread_id=thread_id, now=timezone.now()
    )


@shared_task
def wake_snoozed() -> int:
    """Bring back the threads whose snooze has ended (beat, every minute)."""
    return threads_wake_due(now=timezone.now())


@shared_task
def close_waiting() -> int:
    """Close conversations left waiting on the contact past their workspace's limit (beat)."""
    return threads_close_waiting(now=timezone.now())
