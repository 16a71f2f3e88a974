"""Fixtures of the webhooks: the ESPs' credentials, and a broker nobody listens on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from helpdesk.celery import app as celery_app
from tests.conftest import reset_broker_pools
from tests.inbox.payloads import MAILGUN_SIGNING_KEY, WEBHOOK_SECRET


@pytest.fixture(autouse=True)
def webhook_credentials(settings: object) -> None:
    settings.ANYMAIL = {  # type: ignore[attr-defined]
        "WEBHOOK_SECRET": [WEBHOOK_SECRET],
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY,
        "AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS": False,
    }


@contextmanager
def broker_unreachable() -> Iterator[None]:
    """Tasks are published to a broker nobody listens on (Redis down), not run in-process.

    A dead port rather than stopping the shared Redis server, which other test runs use."""
    previous = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    reset_broker_pools()
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "redis://127.0.0.1:9/0"
    try:
        yield
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = previous
        reset_broker_pools()


@pytest.fixture
def dead_broker() -> Iterator[None]:
    with broker_unreachable():
        yield
