"""Large values are compressed with LZ4 where PostgreSQL has it (inbox migration 0047)."""

from __future__ import annotations

import pytest
from django.db import connection

from inbox.services.intake import inbound_email_receive
from tests.factories import MessageFactory


def compression_of(table: str, column: str, pk: int) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pg_column_compression({column}) FROM {table} WHERE id = %s",  # noqa: S608
            [pk],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def lz4_server(db):
    if connection.vendor != "postgresql":
        pytest.skip("column compression is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        if not cursor.fetchone()[0]:
            pytest.skip("this PostgreSQL is built without LZ4")


def test_a_stored_mail_is_compressed_with_lz4(lz4_server):
    body = "Where is my order? " * 2_000  # 38 KB of text: compressible, stored out of line
    raw = f"From: a@example.org\r\nSubject: order\r\n\r\n{body}\r\n".encode()
    row = inbound_email_receive(raw=raw, esp="test", envelope_recipient="support@in.example")
    assert compression_of("inbox_inboundemail", '"raw"', row.pk) == "lz4"
    row.refresh_from_db()
    assert bytes(row.raw) == raw


def test_a_long_message_text_and_html_are_compressed_with_lz4(lz4_server):
    message = MessageFactory(
        text="Thanks for the refund. " * 1_000, html="<p>Thanks for the refund.</p>" * 1_000
    )
    assert compression_of("inbox_message", "text", message.pk) == "lz4"
    assert compression_of("inbox_message", "html", message.pk) == "lz4"
