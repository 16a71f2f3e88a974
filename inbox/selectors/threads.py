"""Reads behind the agents' inbox: the views and their counts, the list page, a thread page.

Every function takes the workspace and scopes by it; query counts are constant per page
(the tests assert them), and the list uses keyset pagination on (last_message_at, id) so a deep
page costs what the first page costs.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from helpdesk.models import Agent, Team, Workspace
from inbox.models import Message, Thread, ThreadReadState, Ticket
from inbox.selectors import search

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
# A live refresh re-renders the list down to the oldest row already shown, at most this many.
REFRESH_MAX_ROWS = PAGE_SIZE * 10
COUNTS_CACHE_SECONDS = 60
# Beyond this a view shows "999+"-style counts; exact counts of huge views cost a full scan.
COUNT_CAP = 999


@dataclass(frozen=True)
class InboxView:
    slug: str
    label: str
    admin_only: bool = False


VIEWS = (
    InboxView("unassigned", "Unassigned"),
    InboxView("mine", "Assigned to me"),
    InboxView("open", "All open"),
    InboxView("snoozed", "Snoozed"),
    InboxView("closed", "Closed"),
    InboxView("confirmations", "Forwarding confirmations", admin_only=True),
    InboxView("spam", "Spam", admin_only=True),
)
VIEW_SLUGS = {view.slug for view in VIEWS}
DEFAULT_VIEW = "open"


def views_for(agent: Agent) -> list[InboxView]:
    return [view for view in VIEWS if agent.is_admin or not view.admin_only]


def _view_condition(slug: str, user_id: int) -> Q:
    conversation = Q(kind=Thread.Kind.CONVERSATION)
    # A snoozed thread leaves the open views until it wakes (inbox.services.snooze); one whose
    # time has come is back even before the wake-up task has run.
    snoozed = Q(snoozed_until__gt=timezone.now())
    open_ = Q(status=Thread.Status.OPEN) & ~snoozed
    return {
        "unassigned": conversation & open_ & Q(assignee__isnull=True),
        "mine": conversation & open_ & Q(assignee_id=user_id),
        "open": conversation & open_,
        "snoozed": conversation & Q(status=Thread.Status.OPEN) & snoozed,
        "closed": conversation & Q(status=Thread.Status.CLOSED),
        "confirmations": Q(kind=Thread.Kind.FORWARDING_CONFIRMATION),
        "spam": conversation,
    }[slug]


def _visible(workspace: Workspace, slug: str) -> QuerySet[Thread]:
    # Spam is moved out of every view but the admins' Spam view, where "Not spam" brings it back.
    return Thread.objects.filter(workspace_id=workspace.pk, is_spam=slug == "spam")


def inbox_stamp(*, workspace: Workspace) -> int:
    """The newest message id of the workspace: it changes whenever mail arrives or is sent."""
    stamp = Message.objects.filter(workspace_id=workspace.pk).aggregate(stamp=Max("id"))["stamp"]
    return int(stamp or 0)


def _version_key(workspace_id: int) -> str:
    return f"inbox:version:{workspace_id}"


def inbox_changed(*, workspace_id: int) -> None:
    """Forget cached counts after an agent action (assignment, close, spam...).

    The cache is the broker's Redis: while it is down the action still succeeds, and counts
    may lag for COUNTS_CACHE_SECONDS (docs/reliability.md, "Replies while the broker is down").
    """
    try:
        try:
            cache.incr(_version_key(workspace_id))
        except ValueError:
            cache.set(_version_key(workspace_id), 1, None)
    except Exception:  # redis-py's ConnectionError, TimeoutError...: any cache backend's own
        logger.warning("The cache is unreachable; inbox counts may lag", exc_info=True)


def _count_views(workspace: Workspace, agent: Agent) -> dict[str, int]:
    """One query of capped counts: each view counts at most COUNT_CAP + 1 rows along its index,
    so a workspace with 100,000 closed threads costs what one with 2,000 costs."""
    parts: list[str] = []
    params: list[Any] = []
    slugs = [view.slug for view in views_for(agent)]
    for index, slug in enumerate(slugs):
        rows = (
            _visible(workspace, slug)
            .filter(_view_condition(slug, agent.user_id))
            .order_by("-last_message_at", "-id")
            .values("id")[: COUNT_CAP + 1]
        )
        sql, query_params = rows.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS view_{index})")  # noqa: S608 (Django-compiled SQL, bound params)
        params.extend(query_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        values = cursor.fetchone()
    return {slug: int(value) for slug, value in zip(slugs, values, strict=True)}


def thread_counts(*, workspace: Workspace, agent: Agent, stamp: int) -> dict[str, int]:
    """Threads per view (at most COUNT_CAP + 1), cached until mail arrives or an agent acts;
    counted afresh while the cache (Redis) is unreachable."""
    try:
        version = cache.get(_version_key(workspace.pk), 0)
        key = f"inbox:counts:{workspace.pk}:{agent.user_id}:{stamp}:{version}"
        counts = cache.get(key)
    except Exception:  # the cache backend's connection error: see inbox_changed
        logger.warning("The cache is unreachable; inbox counts are not cached", exc_info=True)
        return _count_views(workspace, agent)
    if counts is None:
        counts = _count_views(workspace, agent)
        cache.set(key, counts, COUNTS_CACHE_SECONDS)
    return counts


def count_label(count: int) -> str:
    return f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}"


@dataclass(frozen=True)
class ListFilters:
    view: str = DEFAULT_VIEW
    query: str = ""
    channel_id: int | None = None
    # "" any assignee, "none" unassigned, or a user id
    assignee: str = ""
    # Only threads carrying this tag (inbox.Tag id): the sidebar's tag links.
    tag_id: int | None = None
    cursor: str = ""
    # A live refresh after "Load older conversations": every row down to this position.
    until: str = ""

    def as_params(self, **overrides: str | int) -> dict[str, str | int]:
        params: dict[str, str | int | None] = {
            "view": self.view,
            "q": self.query,
            "channel": self.channel_id or "",
            "assignee": self.assignee,
            "tag": self.tag_id or "",
        }
        params.update(overrides)
        return {key: value for key, value in params.items() if value not in ("", None)}


def encode_cursor(thread: Thread) -> str:
    raw = f"{thread.last_message_at.isoformat()}|{thread.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[datetime, int] | None:
    try:
        padded = value + "=" * (-len(value) % 4)
        moment, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        parsed = parse_datetime(moment)
        return (parsed, int(pk)) if parsed else None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


@dataclass
class ThreadPage:
    threads: Sequence[Thread]
    next_cursor: str = ""
    filters: ListFilters = field(default_factory=ListFilters)
    # What the search box asked for and found (inbox.selectors.search); None without a search.
    search: search.SearchOutcome | None = None


def thread_list(*, workspace: Workspace, agent: Agent, filters: ListFilters) -> ThreadPage:
    """One page of a view, newest first, with the unread flag for this agent."""
    view = filters.view if filters.view in {v.slug for v in views_for(agent)} else DEFAULT_VIEW
    query = search.query_for(filters.query) if filters.query else None
    view = search.view_for(query, view) if query else view
    queryset = _visible(workspace, view).filter(_view_condition(view, agent.user_id))
    if filters.tag_id:
        queryset = queryset.filter(tags__id=filters.tag_id)
    if filters.channel_id:
        queryset = queryset.filter(channel_id=filters.channel_id)
    if filters.assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        queryset = queryset.filter(assignee_id=int(filters.assignee))
    found = None
    if query:
        found = search.thread_search(
            workspace=workspace,
            agent=agent,
            threads=queryset,
            query=query,
            page_size=PAGE_SIZE,
            view=view,
        )
        queryset = found.threads
    position = decode_cursor(filters.cursor) if filters.cursor else None
    if position:
        moment, pk = position
        queryset = queryset.filter(
            Q(last_message_at__lt=moment) | Q(last_message_at=moment, id__lt=pk)
        )
    limit = PAGE_SIZE
    until = decode_cursor(filters.until) if filters.until and not position else None
    has_older = False
    if until:
        moment, pk = until
        newer_or_same = Q(last_message_at__gt=moment) | Q(last_message_at=moment, id__gte=pk)
        older = Q(last_message_at__lt=moment) | Q(last_message_at=moment, id__lt=pk)
        has_older = queryset.filter(older).exists()
        queryset = queryset.filter(newer_or_same)
        limit = REFRESH_MAX_ROWS
    read = ThreadReadState.objects.filter(
        thread_id=OuterRef("pk"),
        user_id=agent.user_id,
        last_read_at__gte=OuterRef("last_message_at"),
    )
    rows = list(
        queryset.select_related(
            "contact", "assignee", "assigned_team", "ticket", "forwarding_confirmation"
        )
        .annotate(is_read=Exists(read))
        .order_by("-last_message_at", "-id")[: limit + 1]
    )
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else ""
    if has_older and not next_cursor and rows:
        # Older pages may follow the refreshed ones; "Load older" goes on from the last row.
        next_cursor = encode_cursor(rows[-1])
    if found and found.ranked_ids is not None:
        # Best match first, each row with its highlighted snippet; a page cap, no "Load older".
        rows = search.in_rank_order(rows, found)
        next_cursor = ""
    return ThreadPage(threads=rows[:limit], next_cursor=next_cursor, filters=filters, search=found)


def thread_get(*, workspace: Workspace, pk: int) -> Thread | None:
    return (
        Thread.objects.filter(workspace_id=workspace.pk, pk=pk)
        .select_related(
            "contact",
            "contact__owner",
            "assignee",
            "assigned_team",
            "channel",
            "ticket",
            "forwarding_confirmation",
        )
        .first()
    )


@dataclass(frozen=True)
class ThreadPageData:
    """What the thread page shows, loaded in a number of queries that does not grow with it."""

    thread: Thread
    ticket: Ticket | None
    messages: list[Message]
    agents: list[Agent]
    teams: list[Team]
    other_threads: list[Thread]


def thread_page_get(*, workspace: Workspace, thread: Thread) -> ThreadPageData:
    """The page of a thread loaded by `thread_get` (which the caller checked access to)."""
    if thread.channel is not None and thread.channel.workspace_id == workspace.pk:
        thread.channel.workspace = workspace  # already loaded: saves a query per page
    return ThreadPageData(
        thread=thread,
        ticket=_ticket_of(thread),
        messages=thread_messages(thread=thread),
        agents=workspace_agents(workspace=workspace),
        teams=list(Team.objects.filter(workspace_id=workspace.pk).order_by("name")),
        other_threads=contact_other_threads(thread=thread),
    )


def _ticket_of(thread: Thread) -> Ticket | None:
    try:
        return thread.ticket
    except Ticket.DoesNotExist:
        return None


def thread_messages(
    *, thread: Thread, after_id: int = 0, ids: Sequence[int] | None = None
) -> list[Message]:
    """The thread's messages in order, with attachments and the bounces that report on them."""
    queryset = Message.objects.filter(thread_id=thread.pk, workspace_id=thread.workspace_id)
    if after_id:
        queryset = queryset.filter(id__gt=after_id)
    if ids is not None:
        queryset = queryset.filter(id__in=list(ids))
    messages: list[Message] = list(
        queryset.select_related("sent_by", "bounce_of")
        .prefetch_related(
            Prefetch("attachments", to_attr="attachment_list"),
            Prefetch("bounces", to_attr="bounce_list"),
        )
        .order_by("created_at", "id")
    )
    return messages


def contact_other_threads(*, thread: Thread, limit: int = 10) -> list[Thread]:
    if thread.contact_id is None:
        return []
    return list(
        Thread.objects.filter(workspace_id=thread.workspace_id, contact_id=thread.contact_id)
        .exclude(pk=thread.pk)
        .exclude(kind=Thread.Kind.MERGED)  # out of sight once merged into another one
        .order_by("-last_message_at")[:limit]
    )


def workspace_agents(*, workspace: Workspace) -> list[Agent]:
    return list(
        Agent.objects.filter(workspace_id=workspace.pk)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )


def max_attachment_bytes() -> int:
    return int(getattr(settings, "INBOX_MAX_ATTACHMENTS_BYTES", 10 * 1024 * 1024))
