"""helpdesk.db's statement helpers write what the ORM writes, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.utils import timezone

from helpdesk.db import insert_row, relax_commit_durability, update_row
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
