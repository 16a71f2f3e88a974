"""SQL pieces the reports aggregate with, the same on PostgreSQL and SQLite: seconds between two
timestamps, the period's buckets as an index, and percentiles (PostgreSQL's percentile_cont; on
SQLite an aggregate of the same definition, registered when a connection opens)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.backends.signals import connection_created
from django.db.models import Case, DateTimeField, FloatField, Func, IntegerField, Value, When

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


def bucket_starts(period: Period) -> list[Any]:
    """The instant each bucket begins (the first one at the period's start)."""
    return [period.starts_at] + [day_start(b, period.zone) for b in buckets(period)[1:]]


def bucket_index(field: str, period: Period) -> Case:
    """The bucket a timestamp falls in, as 0, 1, ...: boundaries are computed here with the
    workspace's time zone, so a 23- or 25-hour day across a DST change is exact on any
    database. Rows must already be inside the period."""
    starts = bucket_starts(period)
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
