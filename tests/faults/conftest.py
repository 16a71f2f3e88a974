"""Fixtures of the fault tests: private servers we may stop, and a worker process against them."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dj_database_url
import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections

from helpdesk.celery import app as celery_app
from tests.conftest import reset_broker_pools, skip_or_fail
from tests.faults.private_services import PrivatePostgres, PrivateRedis, ServiceError
from tests.faults.stack import Stack


def require_fault_services() -> None:
    """Fault tests run where the service tests run (REDIS_URL set), with the servers installed."""
    if not os.environ.get("REDIS_URL"):
        skip_or_fail("REDIS_URL is not set (fault tests start private servers beside it)")
    if shutil.which("redis-server") is None:
        skip_or_fail("redis-server is not installed")


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    require_fault_services()
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    require_fault_services()
    try:
        server = PrivatePostgres()
        server.init()
    except ServiceError as error:
        skip_or_fail(f"a private PostgreSQL cluster cannot start: {error}")
    yield server
    server.destroy()


@pytest.fixture
def publish_to(private_redis: PrivateRedis) -> Iterator[str]:
    """This process publishes tasks to the private Redis, on a queue of the test's own."""
    queue = f"faults-{uuid.uuid4().hex[:12]}"
    previous = (
        celery_app.conf.task_always_eager,
        celery_app.conf.broker_url,
        celery_app.conf.task_default_queue,
    )
    reset_broker_pools()
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = private_redis.url
    celery_app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        (
            celery_app.conf.task_always_eager,
            celery_app.conf.broker_url,
            celery_app.conf.task_default_queue,
        ) = previous
        reset_broker_pools()


def log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def database_alias(alias: str, url: str) -> Iterator[None]:
    """A second database alias in this process, for reading what a private stack stored."""
    parsed = dj_database_url.parse(url)
    configured = connections.configure_settings(
        {DEFAULT_DB_ALIAS: connections.settings[DEFAULT_DB_ALIAS], alias: parsed}
    )
    connections.settings[alias] = configured[alias]
    try:
        yield
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


@pytest.fixture
def private_stack(
    private_postgres: PrivatePostgres,
    private_redis: PrivateRedis,
    django_db_blocker: Any,
    tmp_path: Path,
) -> Iterator[Stack]:
    """The helpdesk on private servers: gunicorn and a worker with beat, migrated and running."""
    url = private_postgres.create_database("helpdesk")
    with django_db_blocker.unblock(), database_alias("private", url):
        call_command("migrate", database="private", verbosity=0)
        stack = Stack(
            private_postgres, private_redis, database_url=url, directory=tmp_path, using="private"
        )
        try:
            stack.start_web()
            stack.start_worker()
            yield stack
        finally:
            stack.stop()
