"""Celery tasks of the inbound side (intake, sweeper)."""
