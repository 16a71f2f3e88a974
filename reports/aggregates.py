"""SQL pieces the reports aggregate with, the same on PostgreSQL and SQLite: seconds between two
timestamps, the period's buckets as an index, and percentiles (PostgreSQL's percentile_cont; on
SQLite an aggregate of the same definition, registered when a connection opens)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.backends.signals import connection_created
from django.db.models import (
    Case,
    DateTimeField,
    F,
    FloatField,
    Func,
    IntegerField,
    Value,
    When,
)

from reports.percentiles import percentile
from reports.periods import Period, buckets, day_start


@contextmanager
def reporting() -> Iterator[None]:
    """The transaction a report is read in. On PostgreSQL it turns off JIT compilation, which
    these queries' row estimates trigger and which costs more than it saves (measured: 70 to
    100 ms of a 450 ms backlog at a million messages)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                # The backlog groups every thread's events: in the default 4 MB that spilled
                # to disk and PostgreSQL walked the events by index instead.
                cursor.execute("SET LOCAL work_mem = '32MB'")
                # Plans for these parameters, never the generic plan of a prepared statement
                # (DATABASE_PREPARED_STATEMENTS): one guesses a period's share of the rows and
                # doubled the 90-day reports.
                cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        yield


class Seconds(Func):
    """later - earlier, in seconds (a float)."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


def seconds_sql(later: str, earlier: str) -> str:
    """The same as `Seconds`, as raw SQL over two columns."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def epoch_sql(column: str) -> str:
    """A timestamp column as seconds since 1970 (a float)."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})"
    return f"((julianday({column}) - 2440587.5) * 86400.0)"


def bucket_starts(period: Period) -> list[Any]:
    """The instant each bucket begins (the first one at the period's start)."""
    return [period.starts_at] + [day_start(b, period.zone) for b in buckets(period)[1:]]


class _BucketIndex(Func):
    """PostgreSQL's width_bucket over the bucket boundaries: a binary search per row, where a
    CASE tests up to 90 boundaries in turn and DATE_TRUNC ... AT TIME ZONE converts every row
    (counting 185,000 messages by day: about 150 ms instead of 270 ms)."""

    function = "width_bucket"
    output_field = IntegerField()

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[Any, ...]]:
        column, *bounds = self.get_source_expressions()
        column_sql, params = compiler.compile(column)
        placeholders = ", ".join("%s" for _ in bounds)
        values = [bound.value for bound in bounds]
        sql = f"width_bucket({column_sql}, ARRAY[{placeholders}]::timestamptz[])"
        return sql, (*params, *values)


def bucket_index(field: str, period: Period) -> Case | Func:
    """The bucket a timestamp falls in, as 0, 1, ...: boundaries are computed here with the
    workspace's time zone, so a 23- or 25-hour day across a DST change is exact on any
    database. Rows must already be inside the period."""
    starts = bucket_starts(period)
    if connection.vendor == "postgresql" and len(starts) > 1:
        bounds = [Value(start, output_field=DateTimeField()) for start in starts[1:]]
        return _BucketIndex(F(field), *bounds)
    whens = [
        When(**{f"{field}__lt": Value(start, output_field=DateTimeField())}, then=Value(index))
        for index, start in enumerate(starts[1:])
    ]
    return Case(*whens, default=Value(len(starts) - 1), output_field=IntegerField())


def bucket_index_sql(column: str, period: Period) -> tuple[str, list[Any]]:
    """The same as raw SQL, for the backlog's window query."""
    starts = bucket_starts(period)
    if len(starts) == 1:
        return "0", []
    if connection.vendor == "postgresql":
        placeholders = ", ".join("%s" for _ in starts[1:])
        return f"width_bucket({column}, ARRAY[{placeholders}]::timestamptz[])", starts[1:]
    whens = " ".join(f"WHEN {column} < %s THEN {i}" for i in range(len(starts) - 1))
    return f"CASE {whens} ELSE {len(starts) - 1} END", starts[1:]


def percentile_sql(column: str, fraction: float) -> str:
    if connection.vendor == "postgresql":
        return f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY {column})"
    return f"reports_percentile({column}, {fraction})"


class _SqlitePercentile:
    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return percentile(self.values, self.fraction)


def register_sqlite_percentile(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("reports_percentile", 2, _SqlitePercentile)


connection_created.connect(register_sqlite_percentile, dispatch_uid="reports_percentile")
# A connection opened before this module was imported never sends the signal again.
if connection.vendor == "sqlite" and connection.connection is not None:
    register_sqlite_percentile(None, connection)
