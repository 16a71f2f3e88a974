"""The reports' reads: SQL aggregates over threads, messages, thread events and the ledger of
inbound mail, for one workspace, period and filter. Each returns plain figures; `reports.tables`
turns them into tables and charts.

What counts: conversations (not forwarding confirmations) not marked as spam. An agent's scope
is the threads assigned to them now; an admin's is the whole workspace.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncDay, TruncWeek
from django.utils import timezone

from helpdesk.models import Agent, Workspace
from inbox.models import InboundEmail, Message, Thread, ThreadEvent
from reports.aggregates import (
    Seconds,
    bucket_index,
    bucket_index_sql,
    epoch_sql,
    percentile_sql,
    seconds_sql,
)
from reports.business_hours import OpenHours, Schedule
from reports.percentiles import percentile
from reports.periods import Period, buckets, local_bucket

# "Not spam" reopens a thread as a reopen does (inbox.services.threads.thread_not_spam).
STATUS_KINDS = (
    ThreadEvent.Kind.CLOSED,
    ThreadEvent.Kind.REOPENED,
    ThreadEvent.Kind.SPAM,
    ThreadEvent.Kind.NOT_SPAM,
)
# Backlog categories of a thread at a moment.
CLOSED, ASSIGNED, UNASSIGNED = "closed", "assigned", "unassigned"


@dataclass(frozen=True)
class Scope:
    workspace: Workspace
    period: Period
    channel_id: int | None = None
    team_id: int | None = None
    # An agent's own figures: only threads assigned to this user, only their replies and closes.
    user_id: int | None = None
    # First responses counted in these opening hours; None: calendar time.
    business_hours: Schedule | None = None


def _thread_filter(scope: Scope, prefix: str = "") -> Q:
    conditions = {
        "workspace_id": scope.workspace.pk,
        "kind": Thread.Kind.CONVERSATION,
        "is_spam": False,
    }
    if scope.channel_id is not None:
        conditions["channel_id"] = scope.channel_id
    if scope.team_id is not None:
        conditions["assigned_team_id"] = scope.team_id
    if scope.user_id is not None:
        conditions["assignee_id"] = scope.user_id
    return Q(**{prefix + name: value for name, value in conditions.items()})


def _messages_of(scope: Scope) -> Q:
    """The messages of the scope's conversations. Without a filter, the workspace's messages
    minus those of its few spam and confirmation threads: no join with every thread."""
    if scope.channel_id is None and scope.team_id is None and scope.user_id is None:
        excluded = _uncounted_threads(scope)
        return Q(workspace_id=scope.workspace.pk) & ~Q(thread_id__in=excluded.values("id"))
    return _thread_filter(scope, "thread__")


def _uncounted_threads(scope: Scope) -> QuerySet[Thread]:
    """The workspace's forwarding confirmations and spam: spelt with every kind and status so
    that the inbox's index (workspace, kind, status, is_spam) finds them, where "kind <>
    conversation OR is_spam" read every thread."""
    other_kinds = [kind for kind in Thread.Kind.values if kind != Thread.Kind.CONVERSATION]
    return Thread.objects.filter(workspace_id=scope.workspace.pk).filter(
        Q(kind__in=other_kinds)
        | Q(kind=Thread.Kind.CONVERSATION, status__in=Thread.Status.values, is_spam=True)
    )


def _in_period(scope: Scope, name: str) -> Q:
    return Q(**{f"{name}__gte": scope.period.starts_at, f"{name}__lt": scope.period.ends_at})


def _trunc(scope: Scope, name: str) -> TruncDay | TruncWeek:
    zone = scope.period.zone
    return TruncWeek(name, tzinfo=zone) if scope.period.by_week else TruncDay(name, tzinfo=zone)


def _bucket(value: datetime, scope: Scope) -> date:
    return local_bucket(value, scope.period)


@dataclass(frozen=True)
class Volume:
    created: dict[tuple[date, int | None], int]  # (bucket, channel id) -> conversations
    channels: dict[int | None, str]  # channel id -> name, in the order drawn
    received: dict[date, int]
    sent: dict[date, int]


def volume(scope: Scope) -> Volume:
    """Conversations created per bucket and channel; messages received and sent per bucket."""
    days = buckets(scope.period)
    created_rows = (
        Thread.objects.filter(_thread_filter(scope), _in_period(scope, "created_at"))
        .annotate(key=bucket_index("created_at", scope.period))
        .values("key", "channel_id")
        .annotate(n=Count("id"))
        .values_list("key", "channel_id", "n")
    )
    created: dict[tuple[date, int | None], int] = {
        (days[index], channel): n for index, channel, n in created_rows
    }
    names = dict(scope.workspace.channels.order_by("name", "id").values_list("id", "name"))
    used = {channel for _, channel in created}
    channels: dict[int | None, str] = {
        pk: name for pk, name in names.items() if pk in used or pk == scope.channel_id
    }
    if None in used:
        channels[None] = "No channel"
    message_rows = (
        Message.objects.filter(_messages_of(scope), _in_period(scope, "created_at"))
        .annotate(key=bucket_index("created_at", scope.period))
        .values("key", "direction")
        .annotate(n=Count("id"))
        .values_list("key", "direction", "n")
    )
    received: Counter[date] = Counter()
    sent: Counter[date] = Counter()
    for index, direction, n in message_rows:
        target = sent if direction == Message.Direction.OUT else received
        target[days[index]] += n
    return Volume(created=created, channels=channels, received=dict(received), sent=dict(sent))


@dataclass(frozen=True)
class Spread:
    """Durations in seconds of one group: median, 90th percentile, how many were timed, and
    how many rows the group had in all (the rest had nothing to time yet)."""

    median: float | None
    p90: float | None
    timed: int
    total: int


# MATERIALIZED: each row's key and seconds are computed once, not once per aggregate.
SPREADS_SQL = """
WITH grouped AS MATERIALIZED ({inner})
SELECT grouped.key, {median}, {p90}, COUNT(grouped.seconds), COUNT(*)
FROM grouped GROUP BY grouped.key
"""


def _spreads(rows: QuerySet[Any]) -> dict[Any, Spread]:
    """Percentiles of `seconds` per `key` over a queryset of (key, seconds) rows, in SQL."""
    # No ORDER BY inside (the models' default ordering): it made PostgreSQL walk every thread
    # in last_message_at order.
    inner, params = rows.order_by().values("key", "seconds").query.sql_with_params()
    return _spreads_of_sql(inner, params)


def _spreads_of_sql(inner: str, params: Any) -> dict[Any, Spread]:
    sql = SPREADS_SQL.format(
        median=percentile_sql("grouped.seconds", 0.5),
        p90=percentile_sql("grouped.seconds", 0.9),
        inner=inner,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {key: Spread(*figures) for key, *figures in cursor.fetchall()}


def _by_bucket(spreads: dict[Any, Spread], scope: Scope) -> dict[date, Spread]:
    days = buckets(scope.period)
    return {days[index]: spread for index, spread in spreads.items()}


def _first_out() -> QuerySet[Message]:
    """A conversation's replies from its creation on, first first (a subquery); a forward to
    someone outside the team answers nobody."""
    return Message.objects.filter(
        thread_id=OuterRef("pk"),
        direction=Message.Direction.OUT,
        is_forward=False,
        created_at__gte=OuterRef("created_at"),
    ).order_by("created_at", "id")


# Each conversation's first reply is found once (MATERIALIZED: PostgreSQL would otherwise copy
# the subquery into every expression that reads it, and ran it three times per conversation).
FIRST_REPLY_SQL = """
WITH conversation AS MATERIALIZED ({inner})
SELECT {key} AS key, {seconds} AS seconds FROM conversation
"""


def _first_reply_spreads(scope: Scope, *, by_agent: bool) -> dict[Any, Spread]:
    """Spreads of the conversations created in the period, from creation to the first
    outbound message after it (NULL while nobody replied), per bucket or per its sender."""
    conversations = (
        Thread.objects.filter(_thread_filter(scope), _in_period(scope, "created_at"))
        .order_by()
        .values("created_at")
    )
    first_out = _first_out()
    key = (
        Subquery(first_out.values("sent_by_id")[:1])
        if by_agent
        else bucket_index("created_at", scope.period)
    )
    conversations = conversations.annotate(
        key=key, replied_at=Subquery(first_out.values("created_at")[:1])
    )
    inner, params = conversations.query.sql_with_params()
    if scope.business_hours is not None:
        return _business_spreads(scope, scope.business_hours, inner, params)
    seconds = seconds_sql("conversation.replied_at", "conversation.created_at")
    sql = FIRST_REPLY_SQL.format(inner=inner, key="conversation.key", seconds=seconds)
    return _spreads_of_sql(sql, params)


# The same conversations as FIRST_REPLY_SQL, with both instants as epoch seconds.
FIRST_REPLY_TIMES_SQL = """
WITH conversation AS MATERIALIZED ({inner})
SELECT conversation.key, {created}, {replied} FROM conversation
"""


def _business_spreads(
    scope: Scope, schedule: Schedule, inner: str, params: Any
) -> dict[Any, Spread]:
    """The same spreads with each wait counted in opening hours only. Opening hours differ
    per local day, which SQL cannot follow across DST changes without a calendar table: the
    pairs of times come from SQL, the arithmetic is done here, by lookup in the openings from
    the period's first day to today."""
    zone = scope.period.zone
    today = timezone.now().astimezone(zone).date()
    hours = OpenHours(
        schedule, zone, scope.period.first - timedelta(days=1), max(today, scope.period.last)
    )
    sql = FIRST_REPLY_TIMES_SQL.format(
        inner=inner,
        created=epoch_sql("conversation.created_at"),
        replied=epoch_sql("conversation.replied_at"),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    waits: dict[Any, list[float]] = {}
    totals: Counter[Any] = Counter()
    for key, created_at, replied_at in rows:
        totals[key] += 1
        timed = waits.setdefault(key, [])
        if replied_at is not None:
            timed.append(hours.seconds_between(float(created_at), float(replied_at)))
    return {
        key: Spread(percentile(timed, 0.5), percentile(timed, 0.9), len(timed), totals[key])
        for key, timed in waits.items()
    }


def first_responses(scope: Scope) -> dict[date, Spread]:
    """First response times per bucket the conversation was created in; `total - timed` of a
    bucket are the conversations nobody answered yet."""
    spreads = _first_reply_spreads(scope, by_agent=False)
    return _by_bucket(spreads, scope)


def first_responses_by_agent(scope: Scope) -> dict[int | None, Spread]:
    """First response times per agent who sent the first reply (None: nobody yet)."""
    return _first_reply_spreads(scope, by_agent=True)


def resolutions(scope: Scope) -> dict[date, Spread]:
    """Conversations whose last status change is a close inside the period: creation to that
    close, per bucket of the close. A thread reopened afterwards (and not closed again) is
    unresolved, so not here."""
    later = ThreadEvent.objects.filter(
        thread_id=OuterRef("thread_id"), kind__in=STATUS_KINDS
    ).filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), id__gt=OuterRef("id")))
    closes = (
        ThreadEvent.objects.filter(
            _thread_filter(scope, "thread__"),
            _in_period(scope, "at"),
            workspace_id=scope.workspace.pk,
            kind=ThreadEvent.Kind.CLOSED,
        )
        .exclude(Exists(later))
        .annotate(
            key=bucket_index("at", scope.period),
            seconds=Seconds(F("at"), F("thread__created_at")),
        )
    )
    return _by_bucket(_spreads(closes), scope)


@dataclass(frozen=True)
class Backlog:
    before: dict[str, int]  # category -> threads, at the start of the period
    created: dict[date, int]  # bucket -> conversations created (they start unassigned)
    # (bucket, from, to) -> how many conversations changed category so in that bucket
    changes: dict[tuple[date, str, str], int] = field(default_factory=dict)


def backlog(scope: Scope) -> Backlog:
    """What the backlog chart needs: each conversation's category (closed, assigned,
    unassigned) at the start of the period, and the changes of category inside it, both
    derived from the thread events alone (no event: open and unassigned)."""
    period = scope.period
    # One pass over the conversations: those created before the period (key -1) and per bucket.
    counted = dict(
        Thread.objects.filter(_thread_filter(scope), created_at__lt=period.ends_at)
        .order_by()
        .annotate(
            key=Case(
                When(created_at__lt=period.starts_at, then=Value(-1)),
                default=bucket_index("created_at", period),
                output_field=IntegerField(),
            )
        )
        .values("key")
        .annotate(n=Count("id"))
        .values_list("key", "n")
    )
    created_before = counted.pop(-1, 0)
    created = counted.items()
    days = buckets(period)
    before: Counter[str] = Counter({UNASSIGNED: created_before})
    changes: dict[tuple[date, str, str], int] = {}
    for index, previous, category, n in _category_changes(scope):
        if index is None:
            before[previous] -= n
            before[category] += n
        else:
            changes[(days[index], previous, category)] = n
    return Backlog(
        before=dict(before),
        created={days[index]: n for index, n in created},
        changes=changes,
    )


# A conversation's category at the period's start comes from one aggregate over the events
# before it: the latest close against the latest reopen, the latest assignment to someone against
# the latest to nobody. Inside the period, each event's category is compared with the one before
# (LAG, starting from that initial category): COUNT() OVER numbers the runs since the last event
# of each sort, so MAX() over a run carries that event's flag forward ("the latest status event"
# and "the latest assignment" at every event) in one pass over the period's events only.
# {join} and {threads} keep the events of the scope's conversations (see _backlog_threads).
CATEGORY_CHANGES_SQL = """
WITH latest AS (
  SELECT e.thread_id,
    MAX(CASE WHEN e.kind IN ('closed', 'spam') THEN e.at END) AS closed_at,
    MAX(CASE WHEN e.kind IN ('reopened', 'not_spam') THEN e.at END) AS reopened_at,
    MAX(CASE WHEN e.kind = 'assigned' AND {assignee} IS NOT NULL THEN e.at END) AS assigned_at,
    MAX(CASE WHEN e.kind = 'assigned' AND {assignee} IS NULL THEN e.at END) AS unassigned_at
  FROM inbox_threadevent e {join}
  WHERE e.workspace_id = %s AND e.kind IN ('assigned', 'closed', 'reopened', 'spam', 'not_spam') AND e.at < %s
    AND {threads}
  GROUP BY e.thread_id
), initial AS (
  SELECT l.thread_id,
    CASE WHEN l.closed_at IS NOT NULL AND (l.reopened_at IS NULL OR l.closed_at > l.reopened_at)
      THEN 1 ELSE 0 END AS closed,
    CASE WHEN l.assigned_at IS NOT NULL AND (l.unassigned_at IS NULL OR l.assigned_at > l.unassigned_at)
      THEN 1 ELSE 0 END AS assigned
  FROM latest l
), events AS (
  SELECT e.id, e.thread_id, e.at,
    CASE WHEN e.kind IN ('closed', 'spam') THEN 1 WHEN e.kind IN ('reopened', 'not_spam') THEN 0 END AS closed,
    CASE WHEN e.kind = 'assigned' THEN
      CASE WHEN {assignee} IS NULL THEN 0 ELSE 1 END END AS assigned
  FROM inbox_threadevent e {join}
  WHERE e.workspace_id = %s AND e.kind IN ('assigned', 'closed', 'reopened', 'spam', 'not_spam')
    AND e.at >= %s AND e.at < %s AND {threads}
), runs AS (
  SELECT id, thread_id, at, closed, assigned,
    COUNT(closed) OVER (PARTITION BY thread_id ORDER BY at, id ROWS UNBOUNDED PRECEDING) AS closed_run,
    COUNT(assigned) OVER (PARTITION BY thread_id ORDER BY at, id ROWS UNBOUNDED PRECEDING) AS assigned_run
  FROM events
), states AS (
  SELECT r.id, r.thread_id, r.at,
    CASE WHEN COALESCE(MAX(r.closed) OVER (PARTITION BY r.thread_id, r.closed_run), i.closed, 0) = 1
           THEN 'closed'
         WHEN COALESCE(MAX(r.assigned) OVER (PARTITION BY r.thread_id, r.assigned_run), i.assigned, 0) = 1
           THEN 'assigned'
         ELSE 'unassigned' END AS category,
    CASE WHEN i.closed = 1 THEN 'closed' WHEN i.assigned = 1 THEN 'assigned'
         ELSE 'unassigned' END AS initial
  FROM runs r LEFT JOIN initial i ON i.thread_id = r.thread_id
), changes AS (
  SELECT at, category,
    COALESCE(LAG(category) OVER (PARTITION BY thread_id ORDER BY at, id), initial) AS previous
  FROM states
)
SELECT NULL, 'unassigned', CASE WHEN closed = 1 THEN 'closed' ELSE 'assigned' END, COUNT(*)
FROM initial WHERE closed = 1 OR assigned = 1 GROUP BY 3
UNION ALL
SELECT {bucket}, previous, category, COUNT(*) FROM changes WHERE category <> previous
GROUP BY 1, 2, 3
"""


def _backlog_threads(scope: Scope) -> tuple[str, str, list[Any]]:
    """The join and condition that keep the events of the conversations the backlog counts
    (created before the period ends). Filtered by channel, team or assignee: a join with those
    threads. Unfiltered: the workspace's events minus those of the few threads that are not
    counted, found by index, so that no query joins every thread (a thread's events share its
    workspace: inbox.services.events writes them so)."""
    end = scope.period.ends_at
    if scope.channel_id is None and scope.team_id is None and scope.user_id is None:
        excluded = _uncounted_threads(scope) | Thread.objects.filter(
            workspace_id=scope.workspace.pk, created_at__gte=end
        )
        excluded_sql, excluded_params = excluded.order_by().values("id").query.sql_with_params()
        return "", f"e.thread_id NOT IN ({excluded_sql})", list(excluded_params)
    threads = ["t.workspace_id = %s", "t.created_at < %s", "t.kind = %s", "t.is_spam = %s"]
    params: list[Any] = [scope.workspace.pk, end, Thread.Kind.CONVERSATION, False]
    for column, value in (
        ("t.channel_id", scope.channel_id),
        ("t.assigned_team_id", scope.team_id),
        ("t.assignee_id", scope.user_id),
    ):
        if value is not None:
            threads.append(f"{column} = %s")
            params.append(value)
    return "JOIN inbox_thread t ON t.id = e.thread_id", " AND ".join(threads), params


def _category_changes(scope: Scope) -> list[tuple[int | None, str, str, int]]:
    """(None, from, to, n) for the state at the period's start (from "unassigned", what a
    conversation is without events), (bucket, from, to, n) for the changes inside it."""
    assignee = (
        "(e.data ->> 'assignee_id')"
        if connection.vendor == "postgresql"
        else "json_extract(e.data, '$.assignee_id')"
    )
    join, threads, params = _backlog_threads(scope)
    bucket, bucket_params = bucket_index_sql("at", scope.period)
    sql = CATEGORY_CHANGES_SQL.format(assignee=assignee, join=join, threads=threads, bucket=bucket)
    workspace, start, end = scope.workspace.pk, scope.period.starts_at, scope.period.ends_at
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                *(workspace, start, *params),
                *(workspace, start, end, *params),
                *bucket_params,
            ],
        )
        return list(cursor.fetchall())


def rejected_mail(scope: Scope) -> dict[tuple[date, str], int]:
    """Rejected deliveries per bucket and reason code (an admin's report: the whole ledger)."""
    rows = InboundEmail.objects.filter(
        _in_period(scope, "received_at"),
        workspace_id=scope.workspace.pk,
        status=InboundEmail.Status.REJECTED,
    )
    if scope.channel_id is not None:
        rows = rows.filter(channel_id=scope.channel_id)
    counted = (
        rows.annotate(bucket=_trunc(scope, "received_at"))
        .values("bucket", "reason_code")
        .annotate(n=Count("id"))
        .values_list("bucket", "reason_code", "n")
    )
    result: Counter[tuple[date, str]] = Counter()
    for bucket, reason, n in counted:
        result[(_bucket(bucket, scope), reason or "unknown")] += n
    return dict(result)


@dataclass(frozen=True)
class AgentActivity:
    agents: dict[int, str]  # user id -> name, in the order shown
    replies: dict[int, int]
    closed: dict[int, int]


def agent_activity(scope: Scope) -> AgentActivity:
    """Per agent in the period: replies sent and conversations closed (an agent sees their own)."""
    people = Agent.objects.filter(workspace=scope.workspace).select_related("user")
    if scope.user_id is not None:
        people = people.filter(user_id=scope.user_id)
    agents = {agent.user_id: agent.full_name for agent in people}
    agents = dict(sorted(agents.items(), key=lambda item: item[1].lower()))
    replies = _count_by(
        Message.objects.filter(
            _messages_of(scope),
            _in_period(scope, "created_at"),
            direction=Message.Direction.OUT,
            sent_by_id__in=list(agents),
        ),
        "sent_by_id",
    )
    closed = _count_by(
        ThreadEvent.objects.filter(
            _thread_filter(scope, "thread__"),
            _in_period(scope, "at"),
            workspace_id=scope.workspace.pk,
            kind=ThreadEvent.Kind.CLOSED,
            actor_id__in=list(agents),
        ),
        "actor_id",
        distinct_threads=True,
    )
    return AgentActivity(agents=agents, replies=replies, closed=closed)


def _count_by(rows: QuerySet[Any], key: str, *, distinct_threads: bool = False) -> dict[int, int]:
    counted = rows.values(key).annotate(
        n=Count("thread_id", distinct=True) if distinct_threads else Count("id")
    )
    return {row[key]: row["n"] for row in counted}
