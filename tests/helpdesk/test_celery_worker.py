"""A task queued through real Redis is executed by a real worker process."""

from __future__ import annotations

import time
import uuid

import pytest
from django.core.cache import cache

from helpdesk.tasks import ping

pytestmark = pytest.mark.services


def test_a_real_worker_executes_a_queued_task(celery_worker: str) -> None:
    key = uuid.uuid4().hex
    assert cache.get(f"ping:{key}") is None
    ping.delay(key)
    deadline = time.monotonic() + 30
    while cache.get(f"ping:{key}") != "pong":
        assert time.monotonic() < deadline, "the worker never ran the task"
        time.sleep(0.1)
