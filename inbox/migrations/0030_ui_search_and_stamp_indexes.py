"""Indexes of the agents' inbox.

- Search: trigram GIN indexes on PostgreSQL only (pg_trgm), on the same UPPER(col::text)
  expression Django's `icontains` produces, so a substring search over a million rows is an
  index scan. Other databases skip them (SQLite serves development and small installs).
- Live updates: (workspace_id, id) on messages, so MAX(id) per workspace, the poll's change
  stamp, is a single index probe.
"""

from django.db import migrations

TRIGRAM_INDEXES = [
    ("inbox_thread_subject_trgm", "inbox_thread", "subject"),
    ("inbox_contact_email_trgm", "inbox_contact", "email"),
    ("inbox_contact_name_trgm", "inbox_contact", "name"),
]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} '
            f'USING gin ((UPPER(("{column}")::text)) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("inbox", "0002_message_send_claim_and_content_digest")]

    operations = [
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS inbox_message_workspace_stamp "
            "ON inbox_message (workspace_id, id)",
            "DROP INDEX IF EXISTS inbox_message_workspace_stamp",
        ),
    ]
