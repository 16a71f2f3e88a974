"""Celery tasks of the outbound side (sending replies)."""

from __future__ import annotations

from celery import shared_task

from inbox.services.outbound import message_send


@shared_task
def send_message(message_id: int) -> str:
    """Send a stored reply once; a failure is recorded on the message, shown with a Retry."""
    return message_send(message_id=message_id)
