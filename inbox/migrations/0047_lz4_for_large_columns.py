"""The raw mail on the ledger and a message's text and HTML are compressed with LZ4 instead of
PostgreSQL's default pglz, where the server has it (PostgreSQL 14+ built with LZ4).

pglz compressed a 370 KB mail with an attachment in milliseconds on every webhook, and
decompressed it again on every claim; LZ4 does both several times faster and still compresses text
(`make bench`, mixed set: the ledger write went from 1.8 to 1.0 ms a mail). Values already stored
keep their compression; PostgreSQL reads both.
"""

from django.db import migrations

COLUMNS = (("inbox_inboundemail", "raw"), ("inbox_message", "text"), ("inbox_message", "html"))


def _has_lz4(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        found = cursor.fetchone()
    return bool(found and found[0])


def _set(schema_editor, method: str) -> None:
    if schema_editor.connection.vendor != "postgresql" or not _has_lz4(schema_editor):
        return
    for table, column in COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE {schema_editor.quote_name(table)} "
            f"ALTER COLUMN {schema_editor.quote_name(column)} SET COMPRESSION {method}"
        )


def forward(apps, schema_editor):
    _set(schema_editor, "lz4")


def backward(apps, schema_editor):
    _set(schema_editor, "default")


class Migration(migrations.Migration):
    dependencies = [("inbox", "0046_search_names_at_insert")]

    operations: list = [migrations.RunPython(forward, backward)]
