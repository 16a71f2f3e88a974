"""A worker under load picks up again by itself after PostgreSQL restarts.

Workers keep their database connections between tasks; after a restart every kept connection
is dead. Before the fix a worker failed each task on `the connection is closed` until Celery's
Django fixup happened to close its connections (every 200 tasks), and the failing step (claiming
the row) sat outside the task's retry, so the task was acknowledged and its row waited for the
sweeper.
"""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection

from inbox import tasks
from inbox.inbound import pipeline
from inbox.models import Attachment, InboundEmail, Message, Thread
from inbox.services import inbound as inbound_services
from tests.conftest import database_url_for_subprocess
from tests.factories import EmailChannelFactory, ForwardingAddressFactory, InboundEmailFactory
from tests.faults.drills import postgres_down
from tests.faults.stack import Stack
from tests.inbox.inbound.conftest import store_inbound


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


def _mail(address: str, message_id: str, *, files: int = 0, reply_to: str = "") -> bytes:
    """A plain mail, or one with `files` attachments; a reply when `reply_to` is given."""
    threading = f"In-Reply-To: {reply_to}\r\nReferences: {reply_to}\r\n" if reply_to else ""
    head = (
        f"From: Ann <ann@cut.example>\r\nTo: {address}\r\nSubject: Cut\r\n"
        f"Message-ID: {message_id}\r\n{threading}"
    )
    if not files:
        return (head + "\r\nHello\r\n").encode()
    parts = "".join(
        f"--m\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="cut-{n}.pdf"\r\n\r\nJVBERi0xLjQK\r\n'
        for n in range(files)
    )
    return (
        head + "Content-Type: multipart/mixed; boundary=m\r\n\r\n"
        "--m\r\nContent-Type: text/plain\r\n\r\nHello\r\n" + parts + "--m--\r\n"
    ).encode()


def _cut_our_session_once(cuts: list[int]) -> None:
    """Have PostgreSQL end this connection's session, the first time only."""
    if cuts:
        return
    pid = connection.connection.info.backend_pid
    cuts.append(pid)
    with psycopg.connect(database_url_for_subprocess(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def _run_through_the_cut(
    monkeypatch: pytest.MonkeyPatch, row: InboundEmail, cuts: list[int]
) -> InboundEmail:
    """Run the task (its retries at once) for `row`, whose first run lost its session; the row
    as it ended, accepted."""
    monkeypatch.setattr(tasks, "retry_countdown", lambda retries: 0)
    tasks.process_inbound.apply(args=[row.pk])
    assert len(cuts) == 1
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.ACCEPTED
    return row


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("cut_at", "files"),
    [("first deferred write", 0), ("last deferred write", 0), ("first deferred write", 2)],
)
def test_a_connection_cut_inside_the_pipelined_transaction_stores_the_mail_once_on_retry(
    monkeypatch: pytest.MonkeyPatch, cut_at: str, files: int
) -> None:
    """PostgreSQL ends our session while the pipeline's writes are in flight (sent, not yet
    answered): nothing of that run is committed, the task's retry stores the mail once, with
    its attachments once."""
    if connection.vendor != "postgresql":
        pytest.skip("psycopg's pipeline mode is PostgreSQL's")
    channel = EmailChannelFactory(default_from_username="support")
    address = ForwardingAddressFactory(channel=channel).address
    row = store_inbound(_mail(address, "<cut-1@cut.example>", files=files), address)
    # The first deferred write of a new conversation is the statement that writes its thread,
    # ticket, message and attachments (conversation_open); the last, the outcome.
    target = (
        (inbound_services, "conversation_open")
        if cut_at == "first deferred write"
        else (inbound_services, "inbound_record_outcome")
    )
    real = getattr(*target)
    cuts: list[int] = []

    def cut_then_write(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)  # sent into the pipeline, unanswered
        _cut_our_session_once(cuts)
        return result

    monkeypatch.setattr(*target, cut_then_write)
    assert _run_through_the_cut(monkeypatch, row, cuts).attempts == 2
    message = Message.objects.get(message_id="<cut-1@cut.example>")
    assert Thread.objects.filter(channel=channel).count() == 1
    assert sorted(message.attachments.values_list("filename", flat=True)) == [
        f"cut-{n}.pdf" for n in range(files)
    ]
    assert Attachment.objects.count() == files


@pytest.mark.django_db(transaction=True)
def test_a_connection_cut_while_a_reply_and_its_attachments_are_written_stores_them_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reply's message and attachments are one statement in the pipeline: cut while it is
    in flight, the retry stores the reply and each file once, in the same thread."""
    if connection.vendor != "postgresql":
        pytest.skip("psycopg's pipeline mode is PostgreSQL's")
    channel = EmailChannelFactory(default_from_username="support")
    address = ForwardingAddressFactory(channel=channel).address
    first = store_inbound(_mail(address, "<cut-3@cut.example>"), address)
    pipeline.process_inbound_email(first.pk)
    reply = store_inbound(
        _mail(address, "<cut-4@cut.example>", files=3, reply_to="<cut-3@cut.example>"), address
    )
    real = inbound_services.message_store
    cuts: list[int] = []

    def cut_then_store(**kwargs: object) -> object:
        result = real(**kwargs)  # type: ignore[arg-type]
        _cut_our_session_once(cuts)
        return result

    monkeypatch.setattr(inbound_services, "message_store", cut_then_store)
    assert _run_through_the_cut(monkeypatch, reply, cuts).attempts == 2
    message = Message.objects.get(message_id="<cut-4@cut.example>")
    assert message.thread_id == Message.objects.get(message_id="<cut-3@cut.example>").thread_id
    assert message.thread.message_count == 2
    assert sorted(message.attachments.values_list("filename", flat=True)) == [
        "cut-0.pdf", "cut-1.pdf", "cut-2.pdf"
    ]  # fmt: skip
    assert Attachment.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_connection_cut_after_the_commit_reached_postgresql_stores_the_mail_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The COMMIT travels with the pipeline's writes: PostgreSQL may commit them and then lose
    our session before we read its answer. The run fails on the dead connection; its retry finds
    the row already final (the outcome was committed with the message) and writes nothing."""
    if connection.vendor != "postgresql":
        pytest.skip("psycopg's pipeline mode is PostgreSQL's")
    from helpdesk import db

    channel = EmailChannelFactory(default_from_username="support")
    address = ForwardingAddressFactory(channel=channel).address
    row = store_inbound(_mail(address, "<cut-2@cut.example>"), address)
    real = db._send_commit
    cuts: list[int] = []

    def commit_then_cut(wrapper: object) -> None:
        real(wrapper)  # type: ignore[arg-type]
        if cuts:
            return
        state = db._current_pipeline.get()
        assert state is not None
        state.sync()  # the writes and the COMMIT reach PostgreSQL and are committed
        _cut_our_session_once(cuts)

    monkeypatch.setattr(db, "_send_commit", commit_then_cut)
    assert _run_through_the_cut(monkeypatch, row, cuts).attempts == 1  # not claimed again
    assert Message.objects.filter(message_id="<cut-2@cut.example>").count() == 1
    assert Thread.objects.filter(channel=channel).count() == 1
