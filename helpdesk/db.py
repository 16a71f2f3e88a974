"""Database helpers that the ORM does not give us."""

from __future__ import annotations

import functools
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
    attnames, conversions = _row_conversions(model, connection.alias)
    converted = list(values)
    for index, column, converters in conversions:
        value = converted[index]
        for converter in converters:
            value = converter(value, column, connection)
        converted[index] = value
    if len(converted) != len(attnames):
        raise ValueError(f"{len(converted)} values for {len(attnames)} {model.__name__} columns")
    return model.from_db(connection.alias, attnames, converted)


@functools.cache
def _row_conversions(
    model: type[models.Model], alias: str
) -> tuple[list[str], list[tuple[int, Any, list[Any]]]]:
    """Per model and database: the attribute names, and the columns that need converting with
    their converters (found once; most columns need none)."""
    connection = connections[alias]
    fields = model._meta.concrete_fields
    conversions = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        converters = [
            *connection.ops.get_db_converters(column),
            *field.get_db_converters(connection),
        ]
        if converters:
            conversions.append((index, column, converters))
    return [field.attname for field in fields], conversions


def insert_row(instance: models.Model) -> None:
    """INSERT a new instance and set its primary key, as `save(force_insert=True)` does, with
    the statement's text built once per model instead of by the query compiler on every call.

    For the few rows written per inbound message (the compiler cost about as much as the
    database's work on them, `make bench`). Field defaults and `pre_save` (auto_now_add) apply as
    in the ORM; model `save()` overrides and signals do not: use it only for models without them.
    """
    model = type(instance)
    connection = connections[router.db_for_write(model)]
    fields, sql = _insert_statement(model, connection.alias)
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    assert row is not None
    instance.pk = row[0]
    instance._state.adding = False
    instance._state.db = connection.alias


@functools.cache
def _insert_statement(model: type[models.Model], alias: str) -> tuple[list[Any], str]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    fields = [field for field in model._meta.concrete_fields if field is not pk]
    columns = ", ".join(quote(str(field.column)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 (identifiers only)
        f"VALUES ({placeholders}) RETURNING {quote(str(pk.column))}"
    )
    return fields, sql


def update_row(
    model: type[models.Model], *, pk: object, where: dict[str, Any], values: dict[str, Any]
) -> int:
    """UPDATE one row by primary key and `where` (attribute name = value), setting `values`;
    returns how many rows matched (0 or 1). Like `filter(...).update(...)` for plain values,
    with the statement's text built once per shape instead of by the query compiler."""
    connection = connections[router.db_for_write(model)]
    sql = _update_statement(model, connection.alias, tuple(values), tuple(where))
    params = [
        *(
            _field(model, name).get_db_prep_save(value, connection)
            for name, value in values.items()
        ),
        pk,
        *(
            _field(model, name).get_db_prep_value(value, connection)
            for name, value in where.items()
        ),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


@functools.cache
def _update_statement(
    model: type[models.Model], alias: str, names: tuple[str, ...], conditions: tuple[str, ...]
) -> str:
    quote = connections[alias].ops.quote_name

    def column(name: str) -> str:
        return quote(str(_field(model, name).column))

    assert model._meta.pk is not None
    assignments = ", ".join(f"{column(name)} = %s" for name in names)
    checks = "".join(f" AND {column(name)} = %s" for name in conditions)
    return (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608 (identifiers only)
        f"WHERE {quote(str(model._meta.pk.column))} = %s{checks}"
    )


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), f"{model.__name__}.{name} is not a column"
    return field


def relax_commit_durability(model: type[models.Model]) -> None:
    """Let the current transaction's COMMIT return before its WAL is flushed to disk (PostgreSQL's
    `synchronous_commit = off`, for this transaction only; nothing on other databases).

    Only for writes that can be made again from something already durable: the inbound pipeline
    rebuilds everything from the ledger row, which intake committed durably before the ESP was
    told "OK". A database crash can lose the last few hundred milliseconds of such commits, never
    corrupt them; the row is then back in `received` or `processing` and the sweeper queues it
    again. WAL is written in order, so any later durable commit (an agent's reply to that
    thread) makes these durable too. The pipeline's commit writes many index pages: waiting for
    their flush cost more than all its statements together (`make bench`, README "Capacity").
    """
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return
    assert connection.in_atomic_block, "SET LOCAL outside a transaction would do nothing"
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def returning_list(model: type[models.Model], connection: BaseDatabaseWrapper) -> str:
    """The model's concrete columns unqualified, in `instance_from_row`'s order (for RETURNING)."""
    quote = connection.ops.quote_name
    return ", ".join(quote(str(field.column)) for field in model._meta.concrete_fields)
