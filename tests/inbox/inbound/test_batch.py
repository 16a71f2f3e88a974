"""A worker's task takes more waiting mail (inbox.inbound.pipeline.process_ready_batch), each row
in its own transaction; and a run whose claim was taken over stores nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.db.models import F

from inbox.inbound import pipeline
from inbox.inbound.pipeline import process_inbound_email, process_ready_batch
from inbox.models import InboundEmail, Message
from tests.inbox.inbound.conftest import fixture_bytes, store_inbound

pytestmark = pytest.mark.django_db


def _mail(number: int) -> bytes:
    return fixture_bytes("plain.eml").replace(b"plain-1@", f"batch-{number}@".encode())


def test_a_batch_takes_waiting_rows_oldest_first_and_leaves_the_rest(channel):
    address = channel.forwarding_address.address
    rows = [store_inbound(_mail(n), address) for n in range(5)]
    InboundEmail.objects.filter(pk=rows[4].pk).update(status=InboundEmail.Status.PROCESSING)
    assert process_ready_batch(limit=3) == 3
    statuses = dict(InboundEmail.objects.values_list("pk", "status"))
    assert [statuses[row.pk] for row in rows] == ["accepted"] * 3 + ["received", "processing"]
    assert Message.objects.filter(inbound__in=rows[:3]).count() == 3
    assert process_ready_batch(limit=16) == 1  # the one left waiting; never the one in progress
    assert process_ready_batch(limit=16) == 0


def test_one_bad_mail_never_fails_the_others_in_its_batch(channel, monkeypatch):
    address = channel.forwarding_address.address
    rows = [store_inbound(_mail(n), address) for n in range(4)]
    real = pipeline._process

    def breaks_on_the_second(row, now):
        if row.pk == rows[1].pk:
            raise ValueError("the parser met something new")
        real(row, now)

    monkeypatch.setattr(pipeline, "_process", breaks_on_the_second)
    assert process_ready_batch(limit=16) == 3
    bad = InboundEmail.objects.get(pk=rows[1].pk)
    # Its attempt is counted and it stays claimable: its own task retries it.
    assert bad.status == InboundEmail.Status.PROCESSING and bad.attempts == 1
    assert not Message.objects.filter(inbound=bad).exists()
    others = InboundEmail.objects.exclude(pk=bad.pk).values_list("status", flat=True)
    assert set(others) == {InboundEmail.Status.ACCEPTED}
    monkeypatch.setattr(pipeline, "_process", real)
    process_inbound_email(bad.pk)
    assert InboundEmail.objects.get(pk=bad.pk).status == InboundEmail.Status.ACCEPTED


def test_a_run_whose_claim_was_taken_over_rolls_back_and_stores_nothing(channel, monkeypatch):
    row = store_inbound(_mail(1), channel.forwarding_address.address)
    real = pipeline._process

    def claimed_again_meanwhile(claimed_row, now):
        # Another run (a redelivered task) claims the row while this one works on it.
        InboundEmail.objects.filter(pk=claimed_row.pk).update(attempts=F("attempts") + 1)
        real(claimed_row, now)

    monkeypatch.setattr(pipeline, "_process", claimed_again_meanwhile)
    process_inbound_email(row.pk)  # no error: the row belongs to the other run now
    row.refresh_from_db()
    assert not Message.objects.filter(inbound=row).exists()
    assert row.status == InboundEmail.Status.PROCESSING  # the other run's to finish


@pytest.mark.django_db(transaction=True)
def test_a_taken_over_run_in_its_own_transaction_commits_nothing(channel, monkeypatch):
    # As a worker runs it: the pipeline's transaction is its own, so its COMMIT travels with its
    # writes (PostgreSQL), and the claim check inside the ledger's outcome still undoes them.
    from inbox.models import Thread

    row = store_inbound(_mail(1), channel.forwarding_address.address)
    real = pipeline._process

    def claimed_again_meanwhile(claimed_row, now):
        # By another worker: its claim commits on its own connection.
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    "UPDATE inbox_inboundemail SET attempts = attempts + 1 WHERE id = %s",
                    [claimed_row.pk],
                )
        finally:
            other.close()
        real(claimed_row, now)

    monkeypatch.setattr(pipeline, "_process", claimed_again_meanwhile)
    process_inbound_email(row.pk)
    row.refresh_from_db()
    assert not Message.objects.filter(inbound=row).exists()
    assert not Thread.objects.filter(channel=channel).exists()
    assert (row.status, row.attempts) == (InboundEmail.Status.PROCESSING, 2)
    monkeypatch.setattr(pipeline, "_process", real)
    process_inbound_email(row.pk)  # the run that holds the claim now stores it once
    assert Message.objects.filter(inbound=row).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_batch_skips_a_row_another_worker_holds(channel):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers")
    address = channel.forwarding_address.address
    held, free = store_inbound(_mail(1), address), store_inbound(_mail(2), address)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                InboundEmail.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        assert process_ready_batch(limit=16) == 1  # at once: the held row is not waited for
    finally:
        release.set()
        holder.join()
    statuses = dict(InboundEmail.objects.values_list("pk", "status"))
    assert statuses == {held.pk: "received", free.pk: "accepted"}
