"""A message inserted with its attachments' names is indexed with them at once; the INSERT of
those attachments no longer updates it again (inbox/search_schema.py). PostgreSQL only: SQLite's
FTS triggers are unchanged."""

from django.db import migrations

from inbox.search_schema import POSTGRES_NAMES_AT_INSERT_BACKWARD, POSTGRES_NAMES_AT_INSERT_FORWARD


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_NAMES_AT_INSERT_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_NAMES_AT_INSERT_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0045_backfill_thread_events")]

    operations: list = [migrations.RunPython(forward, backward)]
