"""Celery tasks of the outbound side (sending replies)."""
