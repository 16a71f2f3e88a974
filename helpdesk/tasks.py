from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage

from helpdesk.redaction import redact_addresses

logger = logging.getLogger(__name__)


@shared_task(name="helpdesk.ping")
def ping(key: str) -> str:
    """Proves a worker is alive and sees the same Redis: answers in the cache under the key."""
    cache.set(f"ping:{key}", "pong", timeout=300)
    return "pong"


@shared_task(bind=True, name="helpdesk.send_system_email", max_retries=settings.TASK_MAX_RETRIES)
def send_system_email(self, fields: dict) -> None:
    """Send one of helpdesk.system_mail's messages; retried with backoff when the backend fails."""
    try:
        EmailMessage(**fields).send()
    except Exception as error:
        recipients = ", ".join(fields.get("to") or [])
        logger.warning(
            "System mail to %s failed: %s",
            redact_addresses(recipients),
            redact_addresses(str(error)),  # SMTP refusals quote the refused address
        )
        raise self.retry(exc=error, countdown=min(600, 30 * 2**self.request.retries)) from error
