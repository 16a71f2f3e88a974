"""`make bench-bound`'s bare contenders write what the product writes for a new conversation and
a reply, so that their rates compare with ours: and they keep working as the schema moves on (a
new column without a default would make them fail here, not in a benchmark nobody runs in CI)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import pytest
from django.db import connection

from channels_cfg.models import ForwardingAddress
from inbox.models import InboundEmail, Message, Thread, ThreadEvent, Ticket
from tests.factories import ForwardingAddressFactory

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def _database_url() -> str:
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    return f"postgres://{user}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/" + str(
        settings["NAME"]
    )


def _mail(recipient: str, number: int, *, reply_to: str = "") -> bytes:
    threading = f"In-Reply-To: {reply_to}\r\nReferences: {reply_to}\r\n" if reply_to else ""
    return (
        f"From: Ana Smith <ana@example.com>\r\nTo: {recipient}\r\nSubject: Order {number}\r\n"
        f"Message-ID: <m{number}@example.com>\r\n{threading}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nWhere is my order?\r\n"
    ).encode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("contender", ["statements", "function", "lean"])
def test_a_bare_contender_stores_a_conversation_and_threads_its_reply(contender):
    if connection.vendor != "postgresql":
        pytest.skip("the bound is measured on PostgreSQL")
    import bound

    address = cast(ForwardingAddress, ForwardingAddressFactory())
    bare = bound.Bare(_database_url(), address.address)
    try:
        store = getattr(bare, contender)
        store(_mail(address.address, 1))
        store(_mail(address.address, 2, reply_to="<m1@example.com>"))
        store(_mail(address.address, 3))
    finally:
        bare.close()

    messages = list(Message.objects.order_by("pk"))
    assert [m.message_id for m in messages] == [f"<m{n}@example.com>" for n in (1, 2, 3)]
    assert messages[0].thread_id == messages[1].thread_id != messages[2].thread_id
    assert all(m.workspace_id == address.channel.workspace_id for m in messages)
    first = Thread.objects.get(pk=messages[0].thread_id)
    assert first.message_count == 2
    assert first.contact is not None and first.contact.email == "ana@example.com"
    assert Ticket.objects.count() == ThreadEvent.objects.count() == Thread.objects.count() == 2
    assert set(InboundEmail.objects.values_list("status", "attempts")) == {("accepted", 1)}


@pytest.mark.django_db
def test_the_cpu_of_a_local_backend_is_read_and_grows_with_its_work():
    if connection.vendor != "postgresql":
        pytest.skip("the bound is measured on PostgreSQL")
    import bound

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    before = bound.backend_cpu_seconds(pid)
    if before is None:
        pytest.skip("PostgreSQL runs on another machine: its CPU is not read here")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM generate_series(1, 3000000)")
    after = bound.backend_cpu_seconds(pid)
    assert after is not None and after - before > 0.05  # 3 million rows cost it CPU time
    assert bound.backend_cpu_seconds(2**31 - 1) is None  # no such process
