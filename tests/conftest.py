"""Shared fixtures: workspaces and logged-in clients, real Redis, a real Celery worker."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from helpdesk.celery import app as celery_app
from tests.factories import AdminFactory, AgentFactory, WorkspaceFactory
from tests.image_host import ImageHost

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("SHARED_DIR", REPO_ROOT.parent / "shared"))


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "") == "1"


def skip_or_fail(reason: str) -> None:
    """A missing service skips the test on a laptop, and fails it in CI (REQUIRE_SERVICES=1)."""
    if services_required():
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _isolated_cache_and_eager_tasks(settings: object) -> Iterator[None]:
    # Each test gets an empty in-process cache and runs tasks in-process, so tests never depend
    # on each other or on a worker; tests that need the real ones ask for redis_url / celery_worker.
    settings.CACHES = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    }
    # Buffered task calls (helpdesk/task_batches.py) are published at once, in the caller, so
    # tests see them run inside django_capture_on_commit_callbacks; its own tests set a window.
    settings.TASK_BATCH_SECONDS = 0  # type: ignore[attr-defined]
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def redis_url() -> str:
    """The real Redis of REDIS_URL, checked with a PING."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        skip_or_fail("REDIS_URL is not set (Redis tests need a real Redis)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        skip_or_fail(f"Redis at {url} does not answer: {error}")
    return url


def database_url_for_subprocess() -> str:
    """A DATABASE_URL that points another process at the database this test is using."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def reset_broker_pools() -> None:
    """Forget Celery's connection and producer pools, which it keeps for the first broker URL it
    used: call it whenever a test points the app at another broker."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def celery_worker(redis_url: str, transactional_db: None, settings: object) -> Iterator[str]:
    """A real `celery worker` process on a private queue, sharing this test's database and Redis."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url_for_subprocess(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "TESTING": "true",
        "DEBUG": "false",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            # Prefork, as in production: with celery 5.6 a threads-pool worker stopped taking
            # tasks after about 100 of them (test_worker_integration, 3 of 3 runs).
            "--pool=prefork",
            "--concurrency=4",
            "--loglevel=WARNING",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=REPO_ROOT,
        env=env,
    )
    previous = (
        celery_app.conf.task_always_eager,
        celery_app.conf.task_default_queue,
        celery_app.conf.broker_url,
    )
    reset_broker_pools()
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    celery_app.conf.broker_url = redis_url
    try:
        _wait_for_worker(queue)
        yield queue
    finally:
        (
            celery_app.conf.task_always_eager,
            celery_app.conf.task_default_queue,
            celery_app.conf.broker_url,
        ) = previous
        reset_broker_pools()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_worker(queue: str, timeout: float = 60.0) -> None:
    from django.core.cache import cache

    from helpdesk.tasks import ping

    key = uuid.uuid4().hex
    ping.apply_async(args=[key], queue=queue)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cache.get(f"ping:{key}") == "pong":
            return
        time.sleep(0.2)
    pytest.fail(f"the Celery worker on queue {queue} did not answer within {timeout:.0f}s")


@pytest.fixture
def workspace(db: None):
    return WorkspaceFactory()


@pytest.fixture
def admin_agent(workspace):
    return AdminFactory(workspace=workspace)


@pytest.fixture
def agent(workspace):
    return AgentFactory(workspace=workspace)


@pytest.fixture
def admin_client(admin_agent) -> Client:
    client = Client()
    client.force_login(admin_agent.user)
    return client


@pytest.fixture
def agent_client(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.fail(f"{SHARED_DIR} is missing: the shared corpus sits beside the repository")
    return SHARED_DIR


@pytest.fixture
def image_host() -> Iterator[ImageHost]:
    """A mail's remote image host, served on loopback for the test."""
    host = ImageHost()
    thread = threading.Thread(target=host.server.serve_forever, daemon=True)
    thread.start()
    yield host
    host.server.shutdown()
    host.server.server_close()
