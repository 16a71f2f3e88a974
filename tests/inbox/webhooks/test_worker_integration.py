"""Through a real Celery worker, real Redis and the real database: nothing lost, nothing doubled."""

from __future__ import annotations

import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.utils import timezone

from inbox.models import InboundEmail, Message
from inbox.services.intake import inbound_email_requeue_stale
from tests.inbox.payloads import BASIC_AUTH, mailgun_mime_post, simple_message
from tests.inbox.webhooks.conftest import broker_unreachable

pytestmark = pytest.mark.services

FINAL = ["accepted", "rejected", "duplicate", "failed"]


def post_all(url: str, posts: list[tuple[bytes, str]]) -> list[int]:
    def post(item: tuple[bytes, str]) -> int:
        body, content_type = item
        request = urllib.request.Request(
            url,
            data=body,
            headers={"Content-Type": content_type, "Authorization": BASIC_AUTH},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status

    with ThreadPoolExecutor(max_workers=20) as pool:
        return list(pool.map(post, posts))


def wait_until_processed(expected_rows: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if InboundEmail.objects.filter(status__in=FINAL).count() >= expected_rows:
            return
        time.sleep(0.3)
    counts: dict[str, Any] = {
        status: InboundEmail.objects.filter(status=status).count()
        for status in ["received", "processing", *FINAL]
    }
    pytest.fail(f"not all rows processed within {timeout}s: {counts}")


def test_concurrent_webhooks_through_a_real_worker_lose_nothing_and_double_nothing(
    celery_worker: str, live_server: Any, forwarding_address: str
) -> None:
    url = f"{live_server.url}/anymail/mailgun/inbound_mime/"
    posts = [
        mailgun_mime_post(simple_message(subject=f"Question {n}"), recipient=forwarding_address)
        for n in range(200)
    ]
    assert post_all(url, posts) == [200] * 200
    wait_until_processed(200)
    assert InboundEmail.objects.count() == 200
    assert InboundEmail.objects.filter(status="accepted").count() == 200
    assert Message.objects.count() == 200

    # The ESP retries 50 of them: nothing changes.
    assert post_all(url, posts[:50]) == [200] * 50
    time.sleep(2)
    assert InboundEmail.objects.count() == 200
    assert Message.objects.count() == 200

    # Redis goes away while mail keeps coming: every post is still stored and answered 200...
    late = [
        mailgun_mime_post(
            simple_message(subject=f"During the outage {n}"), recipient=forwarding_address
        )
        for n in range(30)
    ]
    with broker_unreachable():
        assert post_all(url, late) == [200] * 30
    assert InboundEmail.objects.filter(status="received").count() == 30
    # ...and once it is back, the sweeper hands the rows to the worker.
    assert inbound_email_requeue_stale(now=timezone.now() + timezone.timedelta(hours=1)) == 30
    wait_until_processed(230)
    assert Message.objects.count() == 230
    assert InboundEmail.objects.exclude(status="accepted").count() == 0
