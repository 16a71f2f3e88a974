"""helpdesk.db's statement helpers write what the ORM writes, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from helpdesk.db import (
    binary_results,
    insert_row,
    instance_from_row,
    pipelined,
    read_ahead,
    relax_commit_durability,
    select_list,
    update_row,
    update_row_or_raise,
)
from inbox.models import InboundEmail, Message, Thread
from tests.factories import ThreadFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def test_insert_row_writes_what_create_writes_defaults_and_auto_now_included():
    workspace = WorkspaceFactory()
    now = timezone.now()
    ours = Thread(workspace=workspace, subject="Hello", last_message_at=now, message_count=1)
    insert_row(ours)
    theirs = Thread.objects.create(
        workspace=workspace, subject="Hello", last_message_at=now, message_count=1
    )
    assert ours.pk is not None and ours.pk != theirs.pk and not ours._state.adding
    loaded = Thread.objects.values().get(pk=ours.pk)
    expected = Thread.objects.values().get(pk=theirs.pk)
    created = loaded.pop("created_at"), expected.pop("created_at")
    assert all(stamp is not None and abs(stamp - now).total_seconds() < 60 for stamp in created)
    assert {**loaded, "id": 0} == {**expected, "id": 0}
    assert loaded["status"] == Thread.Status.OPEN and loaded["kind"] == Thread.Kind.CONVERSATION


def test_insert_row_stores_json_and_bytes_as_the_orm_reads_them():
    thread = ThreadFactory()
    message = Message(
        workspace_id=thread.workspace_id, thread=thread, direction=Message.Direction.IN,
        sender_warnings=["Sent via a group", "ünïcode"], created_at=timezone.now(),
    )  # fmt: skip
    insert_row(message)
    assert Message.objects.get(pk=message.pk).sender_warnings == ["Sent via a group", "ünïcode"]
    row = InboundEmail(esp="test", raw=b"\x00\xffraw", size=5, sha256="s", idempotency_key="k")
    insert_row(row)
    assert bytes(InboundEmail.objects.get(pk=row.pk).raw) == b"\x00\xffraw"


@pytest.mark.parametrize(("attempts", "written"), [(2, 1), (1, 0)])
def test_update_row_writes_only_when_the_conditions_hold(attempts, written):
    row = InboundEmail.objects.create(
        esp="test", raw=b"x", size=1, sha256="s", idempotency_key=f"k{attempts}", attempts=2,
        status=InboundEmail.Status.PROCESSING,
    )  # fmt: skip
    count = update_row(
        InboundEmail,
        pk=row.pk,
        where={"status": InboundEmail.Status.PROCESSING, "attempts": attempts},
        values={"status": InboundEmail.Status.ACCEPTED, "reason_detail": "done"},
    )
    row.refresh_from_db()
    assert count == written
    assert (row.status, row.reason_detail) == (
        ("accepted", "done") if written else ("processing", "")
    )


@pytest.mark.django_db(transaction=True)
def test_relaxed_durability_applies_to_its_own_transaction_only():
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")

    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return str(cursor.fetchone()[0])

    with transaction.atomic():
        relax_commit_durability(InboundEmail)
        assert setting() == "off"
    assert setting() == "on"


# --- pipelined: deferred statements travel together, answers and errors arrive at the end ------


def _pipelined_is_real() -> bool:
    return connection.vendor == "postgresql"


def test_a_deferred_insert_gets_its_key_when_the_pipeline_settles():
    thread = ThreadFactory()
    message = Message(
        workspace_id=thread.workspace_id, thread=thread, direction=Message.Direction.IN,
        created_at=timezone.now(), subject="deferred",
    )  # fmt: skip
    with transaction.atomic(), pipelined(Message):
        insert_row(message, deferred=True)
        # PostgreSQL: not answered yet (nothing waited for it); elsewhere it ran at once.
        assert (message.pk is None) == _pipelined_is_real()
    assert message.pk is not None
    assert Message.objects.get(pk=message.pk).subject == "deferred"


def test_statements_whose_answers_are_read_are_answered_at_once_inside_a_pipeline():
    # The ORM reads rowcount right after an UPDATE (save(), update()): it must be the real one.
    thread = ThreadFactory(subject="before")
    with transaction.atomic(), pipelined(Thread):
        assert Thread.objects.filter(pk=thread.pk).update(subject="after") == 1
        assert Thread.objects.filter(pk=-1).update(subject="none") == 0
        thread.subject = "saved"
        thread.save(update_fields=["subject"])
        assert Thread.objects.get(pk=thread.pk).subject == "saved"


def test_an_error_of_a_deferred_statement_surfaces_at_the_end_and_rolls_back():
    workspace = WorkspaceFactory()
    first = InboundEmail(esp="test", raw=b"a", size=1, sha256="s", idempotency_key="same")
    again = InboundEmail(esp="test", raw=b"b", size=1, sha256="s", idempotency_key="same")
    kept = Thread(workspace=workspace, subject="rolled back", last_message_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic(), pipelined(InboundEmail):
        insert_row(kept, deferred=True)
        insert_row(first, deferred=True)
        insert_row(again, deferred=True)  # the idempotency key is unique
    assert not InboundEmail.objects.filter(idempotency_key="same").exists()
    assert not Thread.objects.filter(subject="rolled back").exists()


class _Lost(Exception):
    pass


@pytest.mark.parametrize("inside", [True, False])
def test_update_row_or_raise_raises_when_no_row_matched(inside):
    row = InboundEmail.objects.create(
        esp="test", raw=b"x", size=1, sha256="s", idempotency_key="k", attempts=2,
        status=InboundEmail.Status.PROCESSING,
    )  # fmt: skip

    def update(attempts: int) -> None:
        update_row_or_raise(
            InboundEmail, pk=row.pk,
            where={"status": InboundEmail.Status.PROCESSING, "attempts": attempts},
            values={"status": InboundEmail.Status.ACCEPTED}, error=_Lost(),
        )  # fmt: skip

    with (
        pytest.raises(_Lost),
        transaction.atomic(),
        pipelined(InboundEmail) if inside else (transaction.atomic()),
    ):
        update(attempts=1)  # another run's claim is on the row now
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.PROCESSING
    with transaction.atomic(), pipelined(InboundEmail) if inside else transaction.atomic():
        update(attempts=2)
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.ACCEPTED


@pytest.mark.django_db(transaction=True)
def test_relaxed_durability_inside_a_pipeline_applies_to_the_transaction():
    if not _pipelined_is_real():
        pytest.skip("synchronous_commit is PostgreSQL's")
    with transaction.atomic(), pipelined(InboundEmail):
        relax_commit_durability(InboundEmail)
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "off"
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


def test_binary_results_read_bytes_json_and_times_as_the_orm_does():
    raw = bytes(range(256)) * 40
    row = InboundEmail.objects.create(
        esp="test", raw=raw, size=len(raw), sha256="s", idempotency_key="binary",
        esp_verdicts={"spam": {"score": 1.5, "tests": ["ünï", None]}}, skip_checks=["auth"],
    )  # fmt: skip
    with binary_results(connection.cursor()) as cursor:
        cursor.execute(
            f"SELECT {select_list(InboundEmail, 'i', connection)} "  # noqa: S608
            f"FROM {InboundEmail._meta.db_table} i WHERE i.id = %s",
            [row.pk],
        )
        loaded = instance_from_row(InboundEmail, cursor.fetchone(), connection)
    expected = InboundEmail.objects.get(pk=row.pk)
    assert bytes(loaded.raw) == raw
    assert loaded.esp_verdicts == {"spam": {"score": 1.5, "tests": ["ünï", None]}}
    assert loaded.skip_checks == ["auth"]
    assert loaded.received_at == expected.received_at and loaded.received_at.tzinfo is not None


# --- pipelined(commit=True): the COMMIT travels with the block's last statements --------------


def _seen_elsewhere(idempotency_key: str) -> bool:
    """Whether another connection sees the ledger row: committed, not only written."""
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"] or None,
        port=settings["PORT"] or None, autocommit=True,
    ) as other:  # fmt: skip
        found = other.execute(
            f"SELECT 1 FROM {InboundEmail._meta.db_table} WHERE idempotency_key = %s",  # noqa: S608
            [idempotency_key],
        ).fetchone()
    return found is not None


def _ledger_row(key: str, **fields: object) -> InboundEmail:
    return InboundEmail(esp="test", raw=b"x", size=1, sha256="s", idempotency_key=key, **fields)


@pytest.mark.django_db(transaction=True)
def test_with_commit_the_transaction_is_over_when_the_block_ends():
    if not _pipelined_is_real():
        pytest.skip("pipeline mode is PostgreSQL's")
    row = _ledger_row("committed")
    with transaction.atomic():
        with pipelined(InboundEmail, commit=True):
            insert_row(row, deferred=True)
        # Committed with the INSERT, before Django's own commit (which then sends nothing).
        assert _seen_elsewhere("committed")
        assert row.pk is not None  # the callbacks ran once the answers were in
    assert InboundEmail.objects.filter(pk=row.pk).exists()


@pytest.fixture
def answers_awaited(monkeypatch) -> list[int]:
    """How many times psycopg waited for answers to statements a pipeline had sent."""
    from psycopg import _pipeline_base

    count = [0]
    original = _pipeline_base.BasePipeline._fetch_gen

    def fetch(self, *, flush):
        if self.result_queue:
            count[0] += 1
        return (yield from original(self, flush=flush))

    monkeypatch.setattr(_pipeline_base.BasePipeline, "_fetch_gen", fetch)
    return count


@pytest.mark.django_db(transaction=True)
def test_with_commit_the_begin_travels_with_the_first_statements(answers_awaited):
    if not _pipelined_is_real():
        pytest.skip("pipeline mode is PostgreSQL's")
    row = _ledger_row("begun late")
    with transaction.atomic():
        with pipelined(InboundEmail, commit=True):
            read = read_ahead(connection, "SELECT 1", [])
            assert read() == [(1,)]  # answered with the BEGIN: one wait
            insert_row(row, deferred=True)
        assert answers_awaited[0] == 2  # and the end, with the COMMIT
        assert _seen_elsewhere("begun late")
    # Django's transaction handling is as it was: autocommit is back on, the next atomic
    # block opens its own transaction.
    assert connection.get_autocommit() and connection.connection.autocommit
    with transaction.atomic():
        InboundEmail.objects.filter(pk=row.pk).update(reason_detail="after")
        assert connection.connection.info.transaction_status.name == "INTRANS"
    assert InboundEmail.objects.get(pk=row.pk).reason_detail == "after"


@pytest.mark.django_db(transaction=True)
def test_with_commit_a_row_check_that_fails_rolls_everything_back():
    if not _pipelined_is_real():
        pytest.skip("pipeline mode is PostgreSQL's")
    held = InboundEmail.objects.create(
        esp="test", raw=b"x", size=1, sha256="s", idempotency_key="held", attempts=2,
        status=InboundEmail.Status.PROCESSING,
    )  # fmt: skip
    with pytest.raises(_Lost), transaction.atomic(), pipelined(InboundEmail, commit=True):
        insert_row(_ledger_row("written before the check"), deferred=True)
        update_row_or_raise(
            InboundEmail, pk=held.pk,
            where={"status": InboundEmail.Status.PROCESSING, "attempts": 1},  # not ours any more
            values={"status": InboundEmail.Status.ACCEPTED}, error=_Lost(),
        )  # fmt: skip
        insert_row(_ledger_row("written after the check"), deferred=True)
    assert not _seen_elsewhere("written before the check")
    assert not _seen_elsewhere("written after the check")
    held.refresh_from_db()
    assert held.status == InboundEmail.Status.PROCESSING


@pytest.mark.django_db(transaction=True)
def test_with_commit_an_error_of_a_deferred_statement_rolls_everything_back():
    if not _pipelined_is_real():
        pytest.skip("pipeline mode is PostgreSQL's")
    with pytest.raises(IntegrityError), transaction.atomic(), pipelined(InboundEmail, commit=True):
        insert_row(_ledger_row("twice"), deferred=True)
        insert_row(_ledger_row("twice"), deferred=True)  # the idempotency key is unique
    assert not _seen_elsewhere("twice")


@pytest.mark.django_db(transaction=True)
def test_with_commit_inside_a_callers_transaction_nothing_is_committed_early():
    if not _pipelined_is_real():
        pytest.skip("pipeline mode is PostgreSQL's")

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        with transaction.atomic(), pipelined(InboundEmail, commit=True):
            insert_row(_ledger_row("inner"), deferred=True)
        assert not _seen_elsewhere("inner")  # the caller's transaction decides
        raise Undo
    assert not InboundEmail.objects.filter(idempotency_key="inner").exists()


def test_psycopg_caches_the_conversion_of_the_new_conversation_statement():
    # Converting its placeholders again for every mail cost 4% of a small mail (make bench).
    psycopg_queries = pytest.importorskip("psycopg._queries")
    from psycopg.adapt import Transformer

    from inbox.services.inbound import _conversation_shape

    shapes = [
        _conversation_shape(connection.alias, rotate, ticket).sql
        for rotate in (True, False)
        for ticket in (True, False)
    ]
    largest = max(sql.count("%s") for sql in shapes)
    assert largest > 50  # above psycopg's own limit, which is why the limit is raised
    assert largest <= psycopg_queries.MAX_CACHED_STATEMENT_PARAMS
    sql = max(shapes, key=lambda text: text.count("%s"))
    params = [None] * sql.count("%s")
    psycopg_queries.PostgresQuery(Transformer()).convert(sql, params)
    hits = psycopg_queries._query2pg.cache_info().hits
    psycopg_queries.PostgresQuery(Transformer()).convert(sql, params)
    assert psycopg_queries._query2pg.cache_info().hits == hits + 1
