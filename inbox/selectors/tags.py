"""Reads of workspace tags: the sidebar's counts, the typeahead's suggestions, a page's tags."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.db.models.functions import Lower

from helpdesk.models import Workspace
from inbox.models import Tag, Thread

SUGGESTION_LIMIT = 8


def tag_list(*, workspace: Workspace) -> list[Tag]:
    return list(Tag.objects.filter(workspace_id=workspace.pk).order_by(Lower("name"), "id"))


def tag_list_with_counts(*, workspace: Workspace) -> list[Tag]:
    """Every tag with `open_count` (open conversations, spam left out) and `thread_count`
    (all threads), in one query."""
    open_ = Q(
        threads__status=Thread.Status.OPEN,
        threads__is_spam=False,
        threads__kind=Thread.Kind.CONVERSATION,
    )
    return list(
        Tag.objects.filter(workspace_id=workspace.pk)
        .annotate(open_count=Count("threads", filter=open_), thread_count=Count("threads"))
        .order_by(Lower("name"), "id")
    )


def tag_suggestions(
    *, workspace: Workspace, query: str, exclude_ids: Sequence[int] = ()
) -> list[Tag]:
    """Tags whose name contains the query, those starting with it first."""
    tags: QuerySet[Tag] = Tag.objects.filter(workspace_id=workspace.pk).exclude(
        pk__in=list(exclude_ids)
    )
    query = " ".join(query.split())
    if query:
        tags = tags.filter(name__icontains=query)
    found = list(tags.order_by(Lower("name"), "id")[: SUGGESTION_LIMIT * 4])
    found.sort(key=lambda tag: not tag.name.lower().startswith(query.lower()))
    return found[:SUGGESTION_LIMIT]


def tag_get_by_name(*, workspace: Workspace, name: str) -> Tag | None:
    return Tag.objects.filter(
        workspace_id=workspace.pk, name__iexact=" ".join(name.split())
    ).first()


def threads_with_tags(threads: Sequence[Thread]) -> None:
    """Load the tags of a page of threads in one query (rows read `thread.tags.all`)."""
    prefetch_related_objects(
        list(threads), Prefetch("tags", queryset=Tag.objects.order_by(Lower("name"), "id"))
    )
