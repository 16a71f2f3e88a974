"""Database helpers that the ORM does not give us."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper

ModelT = TypeVar("ModelT", bound=models.Model)

# Below this a bytes value is written by the ORM with the rest of its row: one statement is
# quicker, and the copies described below cost little.
LARGE_BYTES = 1024 * 1024


def writes_large_bytes_separately(model: type[models.Model], size: int) -> bool:
    """True when a bytes value of this size should go through `write_bytes_column`."""
    return size > LARGE_BYTES and connections[router.db_for_write(model)].vendor == "postgresql"


def write_bytes_column(
    model: type[models.Model], *, pk: object, field_name: str, data: bytes
) -> None:
    """Write one bytes column of one row as a binary parameter (PostgreSQL only).

    Django's psycopg backend binds parameters on the client: a bytea value is escaped to hex and
    spliced into the SQL text, so a 41 MB message briefly costs about 200 MB more in the web process
    (docs/reliability.md, "Memory for large mail"). A server-binding cursor sends the bytes as they
    are, in binary format, on the same connection and so inside the caller's transaction.
    """
    from psycopg import Cursor, sql

    connection = connections[router.db_for_write(model)]
    connection.ensure_connection()
    field = model._meta.get_field(field_name)
    assert isinstance(field, models.Field) and field.column and model._meta.pk
    statement = sql.SQL("UPDATE {table} SET {column} = %b WHERE {pk} = %s").format(
        table=sql.Identifier(model._meta.db_table),
        column=sql.Identifier(field.column),
        pk=sql.Identifier(str(model._meta.pk.column)),
    )
    with Cursor(connection.connection) as cursor:
        cursor.execute(statement, [data, pk])
        if cursor.rowcount != 1:
            raise LookupError(f"No {model.__name__} with pk {pk} to write {field_name} on")


def select_list(model: type[models.Model], alias: str, connection: BaseDatabaseWrapper) -> str:
    """The model's concrete columns as `alias."column"`, in `instance_from_row`'s order."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(field.column))}" for field in model._meta.concrete_fields)


def instance_from_row(
    model: type[ModelT], values: Sequence[Any], connection: BaseDatabaseWrapper
) -> ModelT:
    """A model instance from a raw row of `select_list` columns, converted as the ORM would
    (SQLite's datetimes and booleans, JSON), for the few hot queries written in SQL."""
    fields = model._meta.concrete_fields
    converted = []
    for field, value in zip(fields, values, strict=True):
        column = field.get_col(model._meta.db_table)
        for converter in [
            *connection.ops.get_db_converters(column),
            *field.get_db_converters(connection),
        ]:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)
