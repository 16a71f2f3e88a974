"""Database helpers that the ORM does not give us."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, TypeVar

from django.db import DatabaseError, connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

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


def insert_row(instance: models.Model, *, deferred: bool = False) -> None:
    """INSERT a new instance and set its primary key, as `save(force_insert=True)` does, with
    the statement's text built once per model instead of by the query compiler on every call.

    For the few rows written per inbound message (the compiler cost about as much as the
    database's work on them, `make bench`). Field defaults and `pre_save` (auto_now_add) apply as
    in the ORM; model `save()` overrides and signals do not: use it only for models without them.

    `deferred`: inside `pipelined`, the statement is sent without waiting for its answer and the
    primary key is set when the pipeline settles; the caller must not need it before then.
    """
    model = type(instance)
    connection = connections[router.db_for_write(model)]
    fields, sql = _insert_statement(model, connection.alias)
    values = insert_values(instance, fields, connection)

    def set_primary_key(cursor: CursorWrapper) -> None:
        row = cursor.fetchone()
        assert row is not None
        instance.pk = row[0]

    instance._state.adding = False
    instance._state.db = connection.alias
    if deferred:
        execute_deferred(connection, sql, values, then=set_primary_key)
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        set_primary_key(cursor)


def insert_values(
    instance: models.Model, fields: Sequence[Any], connection: BaseDatabaseWrapper
) -> list[Any]:
    """The values an INSERT of `instance` writes in these columns, as the ORM prepares them."""
    return [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]


def insert_fields(model: type[models.Model]) -> list[Any]:
    """The columns an INSERT of a new row writes (all but the primary key), in a fixed order."""
    return [field for field in model._meta.concrete_fields if field is not model._meta.pk]


@functools.cache
def _insert_statement(model: type[models.Model], alias: str) -> tuple[list[Any], str]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    fields = insert_fields(model)
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
    sql, params = _update_parts(model, connection, pk=pk, where=where, values=values)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def update_row_or_raise(
    model: type[models.Model],
    *,
    pk: object,
    where: dict[str, Any],
    values: dict[str, Any],
    error: Exception,
) -> None:
    """`update_row` that raises `error` when no row matched: at once, or, inside `pipelined`,
    when the pipeline settles (the statement is sent without waiting for its answer).

    On PostgreSQL the statement checks itself (`helpdesk_require_row`, migration helpdesk 0005):
    a miss aborts the transaction in the database, so nothing has to be read before a COMMIT
    sent with it (`pipelined(commit=True)`) and a miss still rolls everything back."""
    connection = connections[router.db_for_write(model)]
    sql, params = _update_parts(model, connection, pk=pk, where=where, values=values)
    if connection.vendor == "postgresql":
        state = _current_pipeline.get()
        if state is not None and state.connection.alias == connection.alias:
            token = state.expect_row(error)
            state.pending.append((_send_unanswered(state, *_checked(sql, params, token)), None))
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute(*_checked(sql, params, ROW_REQUIRED))
        except DatabaseError as failed:
            if _row_check_failed(failed) is None:
                raise
            raise error from failed
        return

    def check(cursor: CursorWrapper) -> None:
        if cursor.rowcount != 1:
            raise error

    execute_deferred(connection, sql, params, then=check)


# The SQLSTATE `helpdesk_require_row` raises when its statement changed no row; its message is
# the token naming the caller's error.
ROW_REQUIRED_SQLSTATE = "HD409"
ROW_REQUIRED = "row required"


def _checked(sql: str, params: list[Any], token: str) -> tuple[str, list[Any]]:
    return (
        # `sql` is an UPDATE built from the models' identifiers; every value is a parameter.
        f"WITH changed AS ({sql} RETURNING 1) "  # noqa: S608
        "SELECT helpdesk_require_row((SELECT count(*) FROM changed), %s)",
        [*params, token],
    )


def _row_check_failed(error: BaseException) -> str | None:
    """The token of the `helpdesk_require_row` check that raised `error` (wrapped by Django),
    or None when it is another error."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) != ROW_REQUIRED_SQLSTATE:
        return None
    return str(getattr(getattr(cause, "diag", None), "message_primary", "") or "")


def _update_parts(
    model: type[models.Model],
    connection: BaseDatabaseWrapper,
    *,
    pk: object,
    where: dict[str, Any],
    values: dict[str, Any],
) -> tuple[str, list[Any]]:
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
    return sql, params


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


def binary_results(cursor: CursorWrapper) -> CursorWrapper:
    """Have PostgreSQL send this cursor's results in its binary format (nothing elsewhere).

    A bytea column otherwise arrives as hex text twice its size, to be decoded again: reading
    back a 400 KB mail took 3.9 ms that way against 0.9 ms in binary (`make bench`, the
    claim). JSON columns still arrive as text, as the ORM's JSONField reads them."""
    if cursor.db.vendor == "postgresql":
        binary_psycopg_results(cursor.cursor)
    return cursor


def binary_psycopg_results(cursor: Any) -> Any:
    """`binary_results` for a psycopg cursor of one's own (benchmarks/bound_faithful.py)."""
    from psycopg import pq

    cursor.format = pq.Format.BINARY
    cursor.adapters.register_loader("jsonb", _binary_jsonb_loader())
    return cursor


@functools.cache
def _binary_jsonb_loader() -> type:
    from psycopg import pq
    from psycopg.adapt import Loader

    class JsonbAsText(Loader):
        """jsonb in binary: a version byte (1), then the JSON text: handed over as text."""

        format = pq.Format.BINARY

        def load(self, data: Any) -> str:
            return bytes(data[1:]).decode()

    return JsonbAsText


# psycopg turns a statement's %s placeholders into PostgreSQL's $1, $2 ... once per statement text
# and caches the result (an LRU of 128 texts), but only for statements of at most 50 parameters.
# The inbound pipeline's new-conversation statement has 51 to 61 (its four rows at once,
# inbox.services.inbound.conversation_open): converting it again for every mail cost 4% of a
# small mail (make bench, side by side). The cache stays as bounded as before.
STATEMENT_PARAMS_CACHED = 100


def cache_statements_with_many_parameters() -> None:
    """Let psycopg cache the conversion of statements with up to STATEMENT_PARAMS_CACHED
    parameters (called once, when the app is ready; nothing without psycopg)."""
    try:
        from psycopg import _queries
    except ImportError:
        return
    limit = getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", None)
    if isinstance(limit, int) and limit < STATEMENT_PARAMS_CACHED:
        _queries.MAX_CACHED_STATEMENT_PARAMS = STATEMENT_PARAMS_CACHED


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
    # Inside `pipelined` it travels with the transaction's first query: no round trip of its own.
    execute_deferred(connection, "SET LOCAL synchronous_commit TO OFF", [])


def returning_list(model: type[models.Model], connection: BaseDatabaseWrapper) -> str:
    """The model's concrete columns unqualified, in `instance_from_row`'s order (for RETURNING)."""
    quote = connection.ops.quote_name
    return ", ".join(quote(str(field.column)) for field in model._meta.concrete_fields)


# --- Pipelining ---------------------------------------------------------------------------------


@dataclass
class _Pipeline:
    """One `pipelined` block: its connection, psycopg's pipeline, and the deferred statements
    whose answers are read when it settles."""

    connection: BaseDatabaseWrapper
    pipeline: Any  # psycopg.Pipeline
    deferring: bool = False
    pending: list[tuple[CursorWrapper, Callable[[CursorWrapper], None] | None]] = dataclass_field(
        default_factory=list
    )
    # `update_row_or_raise` checks made by the database, by token: the error each raises.
    row_checks: dict[str, Exception] = dataclass_field(default_factory=dict)

    def expect_row(self, error: Exception) -> str:
        token = f"{ROW_REQUIRED} #{len(self.row_checks) + 1}"
        self.row_checks[token] = error
        return token

    def error_for(self, failed: BaseException) -> Exception | None:
        """The caller's error for a failed row check, None for any other error."""
        token = _row_check_failed(failed)
        return None if token is None else self.row_checks.get(token)

    def after_execute(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        # Any statement not sent with `execute_deferred` is answered at once, as outside a
        # pipeline: the ORM reads rowcount (save(), update()) right after executing.
        result = execute(sql, params, many, context)
        if not self.deferring:
            self.sync()
        return result

    def sync(self) -> None:
        with self.connection.wrap_database_errors:
            self.pipeline.sync()

    def discard(self) -> None:
        """The block failed: the deferred statements' answers are moot."""
        pending, self.pending = self.pending, []
        for cursor, _ in pending:
            cursor.close()

    def settled(self) -> None:
        """Every answer is in (the pipeline ended): run the deferred statements' callbacks in
        order, then close their cursors."""
        pending, self.pending = self.pending, []
        try:
            for cursor, then in pending:
                if then is not None:
                    then(cursor)
        finally:
            for cursor, _ in pending:
                cursor.close()


_current_pipeline: ContextVar[_Pipeline | None] = ContextVar("_current_pipeline", default=None)


@contextmanager
def pipelined(model: type[models.Model], *, commit: bool = False) -> Iterator[None]:
    """Send the block's deferred statements (`execute_deferred`, `insert_row(deferred=True)`,
    `update_row_or_raise`, `relax_commit_durability`) without waiting for each answer: they
    travel with the next statement whose answer is read, or together when the block ends, which
    settles them (errors raised by a deferred statement surface there). PostgreSQL's pipeline
    mode through psycopg; elsewhere, or nested, every statement simply runs at once.

    Use it inside a transaction, for writes whose answers nothing reads before the block ends:
    on loopback each round trip cost about as much as the statement's own work (`make bench`).

    `commit`: the block is all that runs in its `transaction.atomic()`; when that is the
    outermost one and the block ends without error, the COMMIT travels with the block's last
    statements, one round trip fewer. The deferred statements' callbacks then run after the
    commit: a condition that must hold for the transaction to commit has to be checked by a
    statement (`update_row_or_raise` is).
    """
    connection = connections[router.db_for_write(model)]
    if (
        connection.vendor != "postgresql"
        or _current_pipeline.get() is not None
        or not _pipeline_mode_supported()
    ):
        yield
        return
    connection.ensure_connection()
    begins_here = commit and _opens_the_transaction(connection)
    if begins_here:
        # psycopg would open the transaction itself before the first statement, and wait for
        # the answer to its BEGIN inside a pipeline: one round trip of its own on every mail.
        # The BEGIN is sent with the block's first statements instead, and psycopg told not to.
        connection.connection.autocommit = True
    # Leaving psycopg's pipeline sends the last statements and waits for every answer (errors
    # of deferred statements are raised there); the callbacks run after it.
    state = _Pipeline(connection, None)
    try:
        with connection.wrap_database_errors, connection.connection.pipeline() as pipeline:
            state.pipeline = pipeline
            if begins_here:
                connection.connection.execute("BEGIN", prepare=False)
            token = _current_pipeline.set(state)
            try:
                with connection.execute_wrapper(state.after_execute):
                    yield
                if commit:
                    _send_commit(connection)
            finally:
                _current_pipeline.reset(token)
    except BaseException as failed:
        state.discard()
        error = state.error_for(failed)  # a failed row check raises its caller's error
        if error is None:
            raise
        raise error from failed
    state.settled()


def _opens_the_transaction(connection: BaseDatabaseWrapper) -> bool:
    """Whether the block's `transaction.atomic()` is the outermost one and nothing of its
    transaction has been sent yet, with nothing but a plain BEGIN to send (no isolation level
    or read-only mode set on the connection). Django's commit or rollback at the end of that
    atomic block ends the transaction as usual: psycopg commits and rolls back whatever its
    autocommit says, and Django sets autocommit back on when the block ends."""
    from psycopg import pq

    psycopg_connection = connection.connection
    return (
        _in_outermost_atomic(connection)
        and not psycopg_connection.autocommit
        and psycopg_connection.info.transaction_status == pq.TransactionStatus.IDLE
        and psycopg_connection.isolation_level is None
        and psycopg_connection.read_only is None
        and psycopg_connection.deferrable is None
    )


def _send_commit(connection: BaseDatabaseWrapper) -> None:
    """Queue the COMMIT of the transaction around the block in the pipeline, when the block's
    `transaction.atomic()` is the outermost one: Django's own commit at its end then finds the
    transaction over and sends nothing. Inside another transaction (a savepoint: tests, a caller's
    atomic block) nothing is queued and the outer transaction commits as usual."""
    if _in_outermost_atomic(connection):
        connection.connection.execute("COMMIT", prepare=False)


def _in_outermost_atomic(connection: BaseDatabaseWrapper) -> bool:
    """Whether the only `transaction.atomic()` open is the transaction's own (no savepoint)."""
    return len(connection.atomic_blocks) == 1 and not connection.savepoint_ids


@functools.cache
def _pipeline_mode_supported() -> bool:
    """psycopg's pipeline mode needs libpq 14 or newer (the binary package bundles one); with an
    older system libpq every statement simply runs at once."""
    import psycopg

    return bool(psycopg.Pipeline.is_supported())


def execute_deferred(
    connection: BaseDatabaseWrapper,
    sql: str,
    params: Sequence[Any],
    *,
    then: Callable[[CursorWrapper], None] | None = None,
) -> None:
    """Execute `sql`; `then(cursor)` reads its answer. Inside `pipelined` on this connection
    both wait for the pipeline to settle; otherwise they run now."""
    state = _current_pipeline.get()
    if state is None or state.connection.alias != connection.alias:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if then is not None:
                then(cursor)
        return
    state.pending.append((_send_unanswered(state, sql, params), then))


def _send_unanswered(state: _Pipeline, sql: str, params: Sequence[Any]) -> CursorWrapper:
    """Execute in the pipeline without waiting for the answer; the cursor that will hold it."""
    cursor = state.connection.cursor()
    state.deferring = True
    try:
        cursor.execute(sql, params)
    except BaseException:
        cursor.close()
        raise
    finally:
        state.deferring = False
    return cursor


def read_ahead(
    connection: BaseDatabaseWrapper, sql: str, params: Sequence[Any]
) -> Callable[[], list[tuple[Any, ...]]]:
    """Send a query now and read its rows later: inside `pipelined` it travels with the next
    statement whose answer is read (one round trip for both); otherwise it runs now. The rows
    are read once, by calling the returned function, before the pipeline ends."""
    state = _current_pipeline.get()
    if state is None or state.connection.alias != connection.alias:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            read = list(cursor.fetchall())
        return lambda: read
    cursor = _send_unanswered(state, sql, params)
    state.pending.append((cursor, None))  # closed when the pipeline ends, if never read

    def rows() -> list[tuple[Any, ...]]:
        return list(cursor.fetchall())

    return rows
