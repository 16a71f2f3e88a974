"""Celery finds tasks here; they live in one module per side."""

from inbox import inbound_tasks, outbound_tasks  # noqa: F401
