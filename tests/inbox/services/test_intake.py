"""The intake services and their task: queued after commit, lost on-commit hooks and stuck rows
swept up, a raising pipeline retried a bounded number of times, a failed row reset."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from inbox.models import InboundEmail, Message
from inbox.services.intake import (
    inbound_email_receive,
    inbound_email_reprocess,
    inbound_email_requeue_stale,
)
from inbox.tasks import process_inbound
from tests.factories import InboundEmailFactory
from tests.inbox.payloads import simple_message

LATER = timedelta(hours=1)


@pytest.mark.django_db(transaction=True)
def test_a_row_left_received_is_processed_once_the_sweeper_runs(forwarding_address: str) -> None:
    row = InboundEmailFactory(
        envelope_recipient=forwarding_address, raw=simple_message(to=forwarding_address)
    )
    assert inbound_email_requeue_stale(now=timezone.now() - LATER) == 0
    assert inbound_email_requeue_stale(now=timezone.now() + LATER) == 1
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.ACCEPTED
    assert Message.objects.filter(inbound=row).count() == 1
    assert inbound_email_requeue_stale(now=timezone.now() + LATER) == 0


@pytest.mark.django_db
def test_the_task_is_queued_only_after_commit(
    forwarding_address: str, django_capture_on_commit_callbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[int] = []
    monkeypatch.setattr(process_inbound, "delay", lambda pk: queued.append(pk))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        row = inbound_email_receive(
            raw=simple_message(), esp="test", envelope_recipient=forwarding_address
        )
        assert queued == []
    assert len(callbacks) == 1
    assert queued == [row.pk]


@pytest.mark.django_db
def test_a_rolled_back_delivery_queues_nothing(
    forwarding_address: str, django_capture_on_commit_callbacks
) -> None:
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        inbound_email_receive(
            raw=simple_message(), esp="test", envelope_recipient=forwarding_address
        )
        raise RuntimeError("the request failed after storing")
    assert callbacks == []
    assert not InboundEmail.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_lost_on_commit_hook_is_recovered_by_the_sweeper(
    forwarding_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The process dies between the commit and its on-commit hook (docs/reliability.md, "A lost
    # on-commit hook").
    monkeypatch.setattr(transaction, "on_commit", lambda func, **kwargs: None)
    row = inbound_email_receive(
        raw=simple_message(), esp="test", envelope_recipient=forwarding_address
    )
    monkeypatch.undo()
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.RECEIVED
    inbound_email_requeue_stale(now=timezone.now() + LATER)
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.ACCEPTED


@pytest.mark.django_db(transaction=True)
def test_a_raising_pipeline_is_retried_a_bounded_number_of_times_then_shows_failed(
    forwarding_address: str, monkeypatch: pytest.MonkeyPatch, settings: object
) -> None:
    calls: list[int] = []

    def broken_pipeline(row: InboundEmail, now: object) -> None:
        calls.append(row.pk)
        raise ValueError("the parser met something new")

    # The stages break after each claim: every attempt is counted on the row.
    monkeypatch.setattr("inbox.inbound.pipeline._process", broken_pipeline)
    row = inbound_email_receive(
        raw=simple_message(), esp="test", envelope_recipient=forwarding_address
    )
    row.refresh_from_db()
    max_retries = process_inbound.max_retries
    assert len(calls) == max_retries + 1
    assert row.status == InboundEmail.Status.FAILED
    assert row.attempts == max_retries + 1
    assert row.reason_detail == "ValueError: the parser met something new"
    assert row.processed_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_failed_row_is_processed_again_after_a_reset(
    forwarding_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = InboundEmailFactory(
        envelope_recipient=forwarding_address,
        raw=simple_message(),
        status=InboundEmail.Status.FAILED,
        reason_detail="ValueError: old bug",
        attempts=6,
    )
    inbound_email_reprocess(inbound_email_id=row.pk, skip_checks=["spam"])
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.ACCEPTED
    assert row.skip_checks == ["spam"]
    assert row.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_task_makes_no_second_message(forwarding_address: str) -> None:
    row = inbound_email_receive(
        raw=simple_message(), esp="test", envelope_recipient=forwarding_address
    )
    process_inbound.apply(args=[row.pk])
    process_inbound.apply(args=[row.pk])
    assert Message.objects.filter(inbound=row).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_row_stuck_in_processing_is_requeued_and_a_worker_killer_ends_failed(
    forwarding_address: str, settings: object
) -> None:
    started = timezone.now() - timedelta(hours=2)
    stuck = InboundEmailFactory(
        envelope_recipient=forwarding_address,
        raw=simple_message(),
        status=InboundEmail.Status.PROCESSING,
        processing_started_at=started,
        attempts=1,
    )
    killer = InboundEmailFactory(
        envelope_recipient=forwarding_address,
        raw=simple_message(),
        status=InboundEmail.Status.PROCESSING,
        processing_started_at=started,
        attempts=settings.TASK_MAX_RETRIES + 1,  # type: ignore[attr-defined]
    )
    assert inbound_email_requeue_stale(now=timezone.now()) == 1
    stuck.refresh_from_db()
    killer.refresh_from_db()
    assert stuck.status == InboundEmail.Status.ACCEPTED
    assert killer.status == InboundEmail.Status.FAILED
    assert "worker stopped" in killer.reason_detail


@pytest.mark.django_db(transaction=True)
def test_a_row_processing_within_the_time_limit_is_left_alone(forwarding_address: str) -> None:
    InboundEmailFactory(
        envelope_recipient=forwarding_address,
        raw=simple_message(),
        status=InboundEmail.Status.PROCESSING,
        processing_started_at=timezone.now() - timedelta(seconds=30),
        attempts=1,
    )
    assert inbound_email_requeue_stale(now=timezone.now()) == 0


def test_the_task_is_acked_late_with_bounded_retries_inside_the_visibility_timeout(
    settings: object,
) -> None:
    # docs/reliability.md, "Tasks longer than the visibility timeout": redelivered if the worker
    # dies, never redelivered while still running.
    assert process_inbound.acks_late is True
    assert process_inbound.max_retries == settings.TASK_MAX_RETRIES  # type: ignore[attr-defined]
    assert settings.CELERY_TASK_TIME_LIMIT < settings.CELERY_VISIBILITY_TIMEOUT  # type: ignore[attr-defined]
