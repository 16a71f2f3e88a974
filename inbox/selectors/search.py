"""Full-text search behind the inbox's search box (the SQL side lives in inbox/search_schema.py).

`thread_search` narrows a view's threads by the box's filters, then, when there are words,
looks them up in the full-text index of messages and notes: PostgreSQL's tsvector with a GIN
index, or SQLite's FTS5. A thread is one result, ranked by its best message or note, with
that hit's snippet highlighted. Constant cost per page: one query for the hits, at most the
CANDIDATES newest matches of the view (ranked among themselves, so a word found in half a
million messages costs what a rare one costs), one for the snippets of the page's hits; the
rows are then loaded by the caller like any list page.
"""

# ruff: noqa: S608, S611  (only table names and constants of this module are interpolated;
# everything typed in the search box is a bound parameter)
from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, TypeVar

from django.db import connection
from django.db.models import BooleanField, Exists, FloatField, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from helpdesk.models import Agent, Workspace
from inbox.models import Attachment, Message, Note, Thread
from inbox.search_query import SearchQuery, parse

# The newest matches of each kind ranked per search: bounds the work for a common word.
CANDIDATES = 500
SNIPPET_SOURCE_CHARS = 20_000
HIT_START, HIT_END = "\x02", "\x03"
_MARKERS = re.compile("([\x02\x03])")
_HAS_WORD = re.compile(r"\w")
_WHITESPACE = re.compile(r"\s+")
_Row = TypeVar("_Row", bound=Thread)


@dataclass(frozen=True)
class Snippet:
    """A hit's text as (text, is_match) pieces: the template escapes each and marks matches."""

    pieces: tuple[tuple[str, bool], ...]
    is_note: bool = False


@dataclass
class SearchOutcome:
    query: SearchQuery
    # The threads to list: filtered and, with words, limited to the page's hits in rank order.
    threads: QuerySet[Thread]
    ranked_ids: list[int] | None = None  # None: filters only, listed newest first as usual
    snippets: dict[int, Snippet] = field(default_factory=dict)
    more: bool = False  # more hits than the page shows
    view: str = ""  # the view searched (is:closed searches Closed)

    @property
    def description(self) -> str:
        return self.query.describe()

    @property
    def errors(self) -> tuple[str, ...]:
        return self.query.errors


def query_for(text: str) -> SearchQuery:
    return parse(text)


def view_for(query: SearchQuery, view: str) -> str:
    """is:open / is:closed choose the All open / Closed view instead of narrowing the current
    one to nothing; Spam and Forwarding confirmations keep their own threads."""
    if query.status and view not in ("spam", "confirmations"):
        return query.status
    return view


def _day_start(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _message_filters(query: SearchQuery) -> Q:
    condition = Q()
    for value in query.from_:
        condition &= Q(from_email__icontains=value) | Q(from_name__icontains=value)
    for value in query.to:
        condition &= Q(to__icontains=value) | Q(cc__icontains=value)
    return condition & _date_filters(query)


def _date_filters(query: SearchQuery) -> Q:
    condition = Q()
    if query.after:
        condition &= Q(created_at__gte=_day_start(query.after))
    if query.before:
        condition &= Q(created_at__lt=_day_start(query.before))
    return condition


def _thread_filters(
    threads: QuerySet[Thread], query: SearchQuery, agent: Agent
) -> QuerySet[Thread]:
    if query.assignee == "me":
        threads = threads.filter(assignee_id=agent.user_id)
    elif query.assignee == "none":
        threads = threads.filter(assignee__isnull=True)
    for name in query.tags:
        threads = threads.filter(tags__name__iexact=name)
    for name in query.channels:
        threads = threads.filter(
            Q(channel__name__iexact=name) | Q(channel__company_name__iexact=name)
        )
    if query.has_attachment:
        threads = threads.filter(
            Exists(Attachment.objects.filter(message__thread_id=OuterRef("pk"), is_inline=False))
        )
    return threads


def thread_search(
    *,
    workspace: Workspace,
    agent: Agent,
    threads: QuerySet[Thread],
    query: SearchQuery,
    page_size: int,
    view: str = "",
) -> SearchOutcome:
    """The view's `threads` narrowed by the search; with words, the page's best hits ranked."""
    threads = _thread_filters(threads, query, agent)
    if not query.has_text:
        per_message = _message_filters(query)
        if per_message:
            threads = threads.filter(
                Exists(Message.objects.filter(per_message, thread_id=OuterRef("pk")))
            )
        return SearchOutcome(query=query, threads=threads, view=view)
    backend = _BACKENDS.get(connection.vendor)
    terms = [word for word in query.words if _HAS_WORD.search(word)]
    phrases = [phrase for phrase in query.phrases if _HAS_WORD.search(phrase)]
    if backend is None or not (terms or phrases):
        return SearchOutcome(query=query, threads=threads.none(), ranked_ids=[], view=view)
    # from:/to: values are looked up in the index too (the sender and recipients are in it),
    # so "invoice from:rare@example.com" costs what a rare word costs; the exact filter follows.
    indexed = [*phrases, *(value for value in (*query.from_, *query.to) if _HAS_WORD.search(value))]
    hits = _hits(backend, workspace, threads, query, terms, indexed)
    best: dict[int, tuple[float, str, int]] = {}
    for kind, pk, thread_id, rank in hits:  # newest first: ties keep the newest hit
        if thread_id not in best or rank > best[thread_id][0]:
            best[thread_id] = (rank, kind, pk)
    ordered = sorted(best.items(), key=lambda item: (-item[1][0], -item[0]))
    page = ordered[:page_size]
    snippets = _snippets(
        backend, [(thread_id, kind, pk) for thread_id, (_, kind, pk) in page], terms, phrases
    )
    return SearchOutcome(
        query=query,
        threads=threads.filter(pk__in=[thread_id for thread_id, _ in page]),
        ranked_ids=[thread_id for thread_id, _ in page],
        snippets=snippets,
        more=len(ordered) > page_size,
        view=view,
    )


@dataclass(frozen=True)
class _Backend:
    # SQL matching a message or note row (the table's name in Django's query) and its rank.
    match: Callable[[str, list[str], list[str]], tuple[str, list[Any]]]
    rank: Callable[[str, list[str], list[str]], tuple[str, list[Any]]]
    snippets: Callable[[list[int], list[int], list[str], list[str]], tuple[str, list[Any]]]


def _hits(
    backend: _Backend,
    workspace: Workspace,
    threads: QuerySet[Thread],
    query: SearchQuery,
    terms: list[str],
    phrases: list[str],
) -> list[tuple[str, int, int, float]]:
    """(kind, id, thread id, rank) of the newest CANDIDATES messages and notes that match."""
    parts: list[tuple[str, Sequence[Any]]] = []
    for kind, model, table, extra in (
        ("m", Message, "inbox_message", _message_filters(query)),
        ("n", Note, "inbox_note", _date_filters(query)),
    ):
        if kind == "n" and (query.from_ or query.to):
            continue  # a note is from nobody and to nobody
        match_sql, match_params = backend.match(table, terms, phrases)
        rank_sql, rank_params = backend.rank(table, terms, phrases)
        in_view_sql, in_view_params = _in_view(threads, table)
        rows = (
            model.objects.filter(workspace_id=workspace.pk)
            .filter(extra)
            .filter(RawSQL(in_view_sql, in_view_params, output_field=BooleanField()))
            .filter(RawSQL(match_sql, match_params, output_field=BooleanField()))
            .annotate(
                kind=RawSQL("%s", [kind]),
                rank=RawSQL(rank_sql, rank_params, output_field=FloatField()),
            )
            .order_by("-id")
            .values_list("kind", "id", "thread_id", "rank")[:CANDIDATES]
        )
        parts.append(rows.query.sql_with_params())
    sql = " UNION ALL ".join(
        f"SELECT * FROM ({part}) AS hits_{index}" for index, (part, _) in enumerate(parts)
    )
    params = [param for _, part_params in parts for param in part_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (str(kind), int(pk), int(thread_id), float(rank or 0))
            for kind, pk, thread_id, rank in cursor.fetchall()
        ]


def _in_view(threads: QuerySet[Thread], table: str) -> tuple[str, tuple[Any, ...]]:
    """SQL true when a hit's thread is in the view: checked per hit, by primary key.

    As `thread_id IN (view)` PostgreSQL may hash every thread of the view (tens of thousands)
    to check a few hundred hits; OFFSET 0 keeps the check a per-row lookup, so the cost follows
    the hits, not the size of the view. SQLite plans it per row anyway (and wants no OFFSET).
    """
    sql, params = threads.values("id").query.sql_with_params()
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    return (
        f"EXISTS (SELECT 1 FROM ({sql}) AS in_view WHERE in_view.id = {table}.thread_id{fence})",
        params,
    )


def _snippets(
    backend: _Backend, hits: list[tuple[int, str, int]], terms: list[str], phrases: list[str]
) -> dict[int, Snippet]:
    """The highlighted text of each thread's best hit, in one query whatever the page holds."""
    message_ids = [pk for _, kind, pk in hits if kind == "m"]
    note_ids = [pk for _, kind, pk in hits if kind == "n"]
    sql, params = backend.snippets(message_ids, note_ids, terms, phrases)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = {(str(kind), int(pk)): str(text or "") for kind, pk, text in cursor.fetchall()}
    return {
        thread_id: Snippet(pieces=highlighted(found[kind, pk]), is_note=kind == "n")
        for thread_id, kind, pk in hits
        if (kind, pk) in found
    }


def highlighted(marked: str) -> tuple[tuple[str, bool], ...]:
    """Split text the database marked with HIT_START/HIT_END into (text, is_match) pieces.

    Stray or unbalanced markers (mail can hold any character) never produce more than
    balanced matches; whitespace runs (line breaks) become single spaces.
    """
    pieces: list[tuple[str, bool]] = []
    inside = False
    for part in _MARKERS.split(marked):
        if part in (HIT_START, HIT_END):
            inside = part == HIT_START
        elif text := _WHITESPACE.sub(" ", part):
            if pieces and pieces[-1][1] == inside:
                pieces[-1] = (pieces[-1][0] + text, inside)
            else:
                pieces.append((text, inside))
    return tuple(pieces)


# PostgreSQL: the `inbox_search` configuration (simple + unaccent), ts_rank and ts_headline.
_HEADLINE_OPTIONS = (
    f"StartSel={HIT_START}, StopSel={HIT_END}, MaxWords=24, MinWords=10, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)


def _tsquery(terms: list[str], phrases: list[str]) -> tuple[str, list[Any]]:
    parts = ["plainto_tsquery('inbox_search', %s)"] if terms else []
    parts += ["phraseto_tsquery('inbox_search', %s)"] * len(phrases)
    params = [" ".join(terms)] if terms else []
    return "(" + " && ".join(parts) + ")", [*params, *phrases]


def _postgres_match(table: str, terms: list[str], phrases: list[str]) -> tuple[str, list[Any]]:
    tsquery, params = _tsquery(terms, phrases)
    return f"{table}.search_vector @@ {tsquery}", params


def _postgres_rank(table: str, terms: list[str], phrases: list[str]) -> tuple[str, list[Any]]:
    tsquery, params = _tsquery(terms, phrases)
    return f"ts_rank({table}.search_vector, {tsquery})", params


def _postgres_snippets(
    message_ids: list[int], note_ids: list[int], terms: list[str], phrases: list[str]
) -> tuple[str, list[Any]]:
    tsquery, params = _tsquery(terms, phrases)
    sql = " UNION ALL ".join(
        f"SELECT '{kind}', id, ts_headline('inbox_search', left({column}, {SNIPPET_SOURCE_CHARS}), "
        f"{tsquery}, %s) FROM {table} WHERE id = ANY(%s)"
        for kind, table, column in (("m", "inbox_message", "text"), ("n", "inbox_note", "body"))
    )
    return sql, [*params, _HEADLINE_OPTIONS, message_ids, *params, _HEADLINE_OPTIONS, note_ids]


# SQLite: FTS5 tables (unicode61 without diacritics), bm25 and snippet().
_FTS_TABLES = {"inbox_message": "inbox_message_fts", "inbox_note": "inbox_note_fts"}
# bm25 weights of inbox_message_fts's columns: subject, sender, files, body.
_BM25 = {"inbox_message_fts": "10.0, 4.0, 4.0, 1.0", "inbox_note_fts": "1.0"}


def fts5_query(terms: list[str], phrases: list[str]) -> str:
    """An FTS5 query of quoted strings (all must match): no operator or column syntax is read
    from the search box."""
    return " ".join('"' + value.replace('"', '""') + '"' for value in [*terms, *phrases])


def _sqlite_match(table: str, terms: list[str], phrases: list[str]) -> tuple[str, list[Any]]:
    fts = _FTS_TABLES[table]
    return f"{table}.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s)", [
        fts5_query(terms, phrases)
    ]


def _sqlite_rank(table: str, terms: list[str], phrases: list[str]) -> tuple[str, list[Any]]:
    fts = _FTS_TABLES[table]
    return (
        f"(SELECT -bm25({fts}, {_BM25[fts]}) FROM {fts} WHERE {fts} MATCH %s "
        f"AND rowid = {table}.id)",
        [fts5_query(terms, phrases)],
    )


def _sqlite_snippets(
    message_ids: list[int], note_ids: list[int], terms: list[str], phrases: list[str]
) -> tuple[str, list[Any]]:
    match = fts5_query(terms, phrases)
    sql = " UNION ALL ".join(
        f"SELECT '{kind}', rowid, snippet({fts}, {column}, char(2), char(3), '…', 24) FROM {fts} "
        f"WHERE {fts} MATCH %s AND rowid IN (SELECT value FROM json_each(%s))"
        for kind, fts, column in (("m", "inbox_message_fts", -1), ("n", "inbox_note_fts", 0))
    )
    return sql, [match, json.dumps(message_ids), match, json.dumps(note_ids)]


_BACKENDS = {
    "postgresql": _Backend(_postgres_match, _postgres_rank, _postgres_snippets),
    "sqlite": _Backend(_sqlite_match, _sqlite_rank, _sqlite_snippets),
}


def in_rank_order(rows: Sequence[_Row], found: SearchOutcome) -> list[_Row]:
    """The page's rows in rank order, each given `search_snippet` (a Snippet or None)."""
    order = {pk: index for index, pk in enumerate(found.ranked_ids or [])}
    ranked = sorted((row for row in rows if row.pk in order), key=lambda row: order[row.pk])
    for row in ranked:
        setattr(row, "search_snippet", found.snippets.get(row.pk))  # noqa: B010 (not a field)
    return ranked
