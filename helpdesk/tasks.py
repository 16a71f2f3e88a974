from __future__ import annotations

from celery import shared_task
from django.core.cache import cache


@shared_task(name="helpdesk.ping")
def ping(key: str) -> str:
    """Proves a worker is alive and sees the same Redis: answers in the cache under the key."""
    cache.set(f"ping:{key}", "pong", timeout=300)
    return "pong"
