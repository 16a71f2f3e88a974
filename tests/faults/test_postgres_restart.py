"""A worker under load picks up again by itself after PostgreSQL restarts.

Workers keep their database connections between tasks; after a restart every kept connection
is dead. Before the fix a worker failed each task on `the connection is closed` until Celery's
Django fixup happened to close its connections (every 200 tasks), and the failing step (claiming
the row) sat outside the task's retry, so the task was acknowledged and its row waited for the
sweeper.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import OperationalError

from inbox import tasks
from inbox.inbound import pipeline
from inbox.models import InboundEmail
from tests.factories import InboundEmailFactory
from tests.faults.drills import postgres_down
from tests.faults.stack import Stack


@pytest.mark.services
def test_processing_resumes_within_30_seconds_after_a_postgresql_restart_under_load(
    private_stack: Stack,
) -> None:
    line = postgres_down(private_stack)

    assert line["answered_5xx"] > 0, line  # the outage was real: the ESP was told to retry
    assert line["lost"] == 0 and line["duplicates"] == 0, line
    assert line["ledger_rows"] == line["messages"] == 80, line
    assert line["resumed_s"] <= 30, line
    assert private_stack.worker is not None and private_stack.worker.poll() is None


@pytest.mark.django_db
def test_a_dead_connection_while_claiming_the_row_is_retried_then_shown_as_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    row = InboundEmailFactory()
    claims: list[int] = []

    def connection_closed(*, inbound_email_id: int, now: object) -> None:
        claims.append(inbound_email_id)
        raise OperationalError("the connection is closed")

    monkeypatch.setattr(pipeline, "inbound_email_claim", connection_closed)
    tasks.process_inbound.apply(args=[row.pk])

    assert len(claims) == settings.TASK_MAX_RETRIES + 1
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.FAILED
    assert "the connection is closed" in row.reason_detail
