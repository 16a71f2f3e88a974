"""From figures to what a person reads, pure: each report's table (the same rows go to the page
and to its CSV) and its charts."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from reports.business_hours import Schedule
from reports.charts import Chart, Series
from reports.percentiles import hours
from reports.periods import Period, bucket_label, buckets
from reports.selectors import (
    ASSIGNED,
    CLOSED,
    UNASSIGNED,
    AgentActivity,
    Backlog,
    Spread,
    Volume,
)

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    explanation: str
    table: Table
    charts: tuple[Chart, ...] = ()


def _labels(period: Period) -> tuple[str, ...]:
    return tuple(bucket_label(b, by_week=period.by_week) for b in buckets(period))


def _column(period: Period, values: dict[date, int]) -> tuple[int, ...]:
    return tuple(values.get(b, 0) for b in buckets(period))


def volume_report(figures: Volume, period: Period) -> Report:
    per_channel = {
        name: _column(period, {b: n for (b, c), n in figures.created.items() if c == channel})
        for channel, name in figures.channels.items()
    }
    received, sent = _column(period, figures.received), _column(period, figures.sent)
    labels = _labels(period)
    columns = ("Period", *(f"Created: {name}" for name in per_channel), "Received", "Sent")
    rows: tuple[tuple[Cell, ...], ...] = tuple(
        (label, *(counts[i] for counts in per_channel.values()), received[i], sent[i])
        for i, label in enumerate(labels)
    )
    charts = (
        Chart(
            key="volume-created",
            title="Conversations created, by channel",
            unit="conversations",
            x_labels=labels,
            series=tuple(Series(name, tuple(map(float, v))) for name, v in per_channel.items()),
        ),
        Chart(
            key="volume-messages",
            title="Messages received and sent",
            unit="messages",
            x_labels=labels,
            series=(
                Series("Received", tuple(map(float, received))),
                Series("Sent", tuple(map(float, sent))),
            ),
            stacked=False,
        ),
    )
    return Report(
        "volume",
        "Volume",
        "Conversations created per period, stacked by channel; messages received and sent.",
        Table(columns, rows),
        charts,
    )


def time_basis(business_hours: Schedule | None) -> str:
    """How first responses are timed, as the reports say it."""
    if business_hours is None:
        return "calendar time"
    return f"business hours only: {business_hours.describe()}"


def first_response_report(
    figures: dict[date, Spread], period: Period, business_hours: Schedule | None = None
) -> Report:
    return _duration_report(
        "first-response",
        "First response time",
        "From a conversation's creation to the first reply sent in it, by the day it came in "
        f"({time_basis(business_hours)}). Conversations nobody answered yet are counted, not "
        "timed.",
        period,
        figures,
        waiting_column=True,
    )


def resolution_report(figures: dict[date, Spread], period: Period) -> Report:
    return _duration_report(
        "resolution",
        "Resolution time",
        "From creation to the last close, by the day of that close. A conversation reopened "
        "and not closed again is unresolved and not counted.",
        period,
        figures,
        waiting_column=False,
    )


def _duration_report(
    slug: str,
    title: str,
    explanation: str,
    period: Period,
    by_bucket: dict[date, Spread],
    *,
    waiting_column: bool,
) -> Report:
    labels = _labels(period)
    empty = Spread(None, None, 0, 0)
    spreads = [by_bucket.get(b, empty) for b in buckets(period)]
    columns = ["Period", "Median (hours)", "90th percentile (hours)", "Conversations timed"]
    if waiting_column:
        columns.append("Not replied yet")
    rows = []
    for label, spread in zip(labels, spreads, strict=True):
        row: list[Cell] = [label, hours(spread.median), hours(spread.p90), spread.timed]
        if waiting_column:
            row.append(spread.total - spread.timed)
        rows.append(tuple(row))
    chart = Chart(
        key=slug,
        title=f"{title}: median and 90th percentile",
        unit="hours",
        x_labels=labels,
        series=(
            Series("Median", tuple(hours(s.median) for s in spreads)),
            Series("90th percentile", tuple(hours(s.p90) for s in spreads)),
        ),
        stacked=False,
        whole=False,
    )
    return Report(slug, title, explanation, Table(tuple(columns), tuple(rows)), (chart,))


def backlog_counts(figures: Backlog, period: Period) -> list[tuple[int, int]]:
    """(assigned, unassigned) open conversations at the end of each bucket."""
    state: Counter[str] = Counter(figures.before)
    moves: dict[date, list[tuple[str, str, int]]] = defaultdict(list)
    for (bucket, previous, category), n in figures.changes.items():
        moves[bucket].append((previous, category, n))
    result = []
    for bucket in buckets(period):
        state[UNASSIGNED] += figures.created.get(bucket, 0)
        for previous, category, n in moves.get(bucket, []):
            state[previous] -= n
            state[category] += n
        result.append((state[ASSIGNED], state[UNASSIGNED]))
    return result


def backlog_report(figures: Backlog, period: Period) -> Report:
    labels = _labels(period)
    counts = backlog_counts(figures, period)
    rows = tuple((label, a, u, a + u) for label, (a, u) in zip(labels, counts, strict=True))
    chart = Chart(
        key="backlog",
        title="Open conversations at the end of each period",
        unit="conversations",
        x_labels=labels,
        series=(
            Series("Assigned", tuple(float(a) for a, _ in counts)),
            Series("Unassigned", tuple(float(u) for _, u in counts)),
        ),
    )
    return Report(
        "backlog",
        "Backlog",
        "Conversations open at the end of each day (week, for long ranges): created by then and "
        f"not {CLOSED} by their latest status change, split by their latest assignment.",
        Table(("Period", "Assigned", "Unassigned", "Open"), rows),
        (chart,),
    )


def rejected_report(figures: dict[tuple[date, str], int], period: Period) -> Report:
    reasons = sorted({reason for _, reason in figures})
    labels = _labels(period)
    per_reason = {
        reason: _column(period, {b: n for (b, r), n in figures.items() if r == reason})
        for reason in reasons
    }
    rows: tuple[tuple[Cell, ...], ...] = tuple(
        (label, *(per_reason[r][i] for r in reasons), sum(per_reason[r][i] for r in reasons))
        for i, label in enumerate(labels)
    )
    chart = Chart(
        key="rejected",
        title="Rejected mail, by reason",
        unit="messages",
        x_labels=labels,
        series=tuple(Series(r, tuple(map(float, per_reason[r]))) for r in reasons),
    )
    return Report(
        "rejected",
        "Rejected mail",
        "Deliveries we refused, per period and reason code.",
        Table(("Period", *reasons, "Total"), rows),
        (chart,),
    )


def agents_report(
    activity: AgentActivity,
    first: dict[int | None, Spread],
    business_hours: Schedule | None = None,
) -> Report:
    rows = tuple(
        (
            name,
            activity.replies.get(user_id, 0),
            activity.closed.get(user_id, 0),
            hours(first[user_id].median) if user_id in first else None,
            first[user_id].timed if user_id in first else 0,
        )
        for user_id, name in activity.agents.items()
    )
    return Report(
        "agents",
        "By agent",
        "Replies sent, conversations closed, and the median first response of the "
        f"conversations each agent answered first ({time_basis(business_hours)}), in the "
        "period.",
        Table(
            (
                "Agent",
                "Replies sent",
                "Conversations closed",
                "Median first response (hours)",
                "First responses",
            ),
            rows,
        ),
    )
