"""The in-process benchmark's synthetic mail has the shapes issue 12 measures, and its copies
stay new to the database while replies still thread."""

from __future__ import annotations

import re
import statistics
import sys
from email import message_from_bytes
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import inproc

TO = "bench@bench.inbox.localhost"


def test_the_same_seed_makes_the_same_mail_and_another_seed_other_mail():
    assert inproc.synthetic_mail(50, recipient=TO, seed=3) == inproc.synthetic_mail(
        50, recipient=TO, seed=3
    )
    assert inproc.synthetic_mail(50, recipient=TO, seed=3) != inproc.synthetic_mail(
        50, recipient=TO, seed=4
    )


@pytest.mark.parametrize(("count", "attachments"), [(1000, 0.0), (300, 0.17)])
def test_sizes_replies_and_attachments_have_the_measured_shapes(count, attachments):
    mails = inproc.synthetic_mail(count, recipient=TO, seed=1, attachment_share=attachments)
    parsed = [message_from_bytes(raw) for raw in mails]
    replies = sum(1 for mail in parsed if mail["In-Reply-To"])
    with_files = sum(1 for mail in parsed if mail.get_content_type() == "multipart/mixed")
    assert 0.25 <= replies / count <= 0.35
    assert abs(with_files / count - attachments) <= 0.05
    small = [len(raw) for raw, mail in zip(mails, parsed, strict=True) if not mail.is_multipart()]
    if attachments == 0:
        assert 1300 <= statistics.median(len(raw) for raw in mails) <= 2000
    assert all(size < 10_000 for size in small)
    big = [
        len(raw)
        for raw, mail in zip(mails, parsed, strict=True)
        if mail.get_content_type() == "multipart/mixed"
    ]
    assert all(50_000 <= size <= 800_000 for size in big)


def test_copies_get_new_ids_and_a_reply_still_names_its_parent():
    mails = inproc.synthetic_mail(200, recipient=TO, seed=2)
    copies = inproc.unique(mails, "run7")
    ids = {message_from_bytes(raw)["Message-ID"] for raw in copies}
    originals = {message_from_bytes(raw)["Message-ID"] for raw in mails}
    assert len(ids) == 200 and not ids & originals
    assert all(".run7@" in mid for mid in ids)
    for raw in copies:
        parent = message_from_bytes(raw)["In-Reply-To"]
        if parent:
            assert parent in ids
    assert len(set(copies)) == 200 and not set(copies) & set(mails)


def test_copies_of_mail_without_ids_still_differ():
    raw = b"From: a@b.example\r\nSubject: no id\r\n\r\nbody\r\n"
    first, second = inproc.unique([raw, raw], "x")
    assert first != second and re.search(rb"^X-Bench-Run: x-0", first, flags=re.M)


@pytest.mark.django_db(transaction=True)
def test_round_trips_count_every_wait_for_an_answer():
    from django.db import connection, transaction

    from helpdesk.db import execute_deferred, pipelined, read_ahead
    from inbox.models import InboundEmail

    if connection.vendor != "postgresql":
        pytest.skip("pipeline mode is PostgreSQL's")
    connection.ensure_connection()
    with inproc.counting_round_trips() as outside, connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert outside == [1]
    # psycopg opens the transaction itself, and waits for its BEGIN inside the pipeline.
    with (
        inproc.counting_round_trips() as own_begin,
        transaction.atomic(),
        pipelined(InboundEmail),
    ):
        read = read_ahead(connection, "SELECT 1", [])
        execute_deferred(connection, "SELECT 2", [])
        assert read() == [(1,)]
    assert own_begin == [4]  # the BEGIN, the read, the pipeline's end, the COMMIT
    with (
        inproc.counting_round_trips() as committed,
        transaction.atomic(),
        pipelined(InboundEmail, commit=True),
    ):
        read = read_ahead(connection, "SELECT 1", [])
        assert read() == [(1,)]
    assert committed == [2]  # the read (with the BEGIN), the end (with the COMMIT)


def test_a_set_reports_the_median_of_its_passes():
    result = inproc.SetResult("small", 10, 300.0, 900.0, {}, {}, (0.29, 0.35, 0.31))
    assert result.vs_floor == 0.31
    assert inproc.SetResult("small", 10, 300.0, 900.0, {}, {}).vs_floor == 300.0 / 900.0
