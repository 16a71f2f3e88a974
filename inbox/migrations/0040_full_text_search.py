"""Full-text search over messages, kept up to date by the database (inbox/search_schema.py)."""

from django.db import migrations

from inbox.search_schema import (
    POSTGRES_BACKWARD,
    POSTGRES_FORWARD,
    SQLITE_BACKWARD,
    SQLITE_FORWARD,
)


def create_search(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def drop_search(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0039_thread_activity")]

    operations: list = [migrations.RunPython(create_search, drop_search)]
