"""Workspace tags: creating, renaming and merging them, and putting them on threads.

Callers pass objects already scoped to the agent's workspace; every function re-checks that a
tag and a thread belong to the same workspace. A change of a thread's tags is recorded as one
`tags_changed` event naming the tags added and removed.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from helpdesk.models import Agent, Workspace
from helpdesk.refusals import Refused
from inbox.models import Tag, Thread, ThreadEvent
from inbox.selectors.threads import inbox_changed
from inbox.services.events import thread_event_record

TAG_NAME_MAX_LENGTH = Tag._meta.get_field("name").max_length or 50
# New tags from the typeahead get a colour of their own, chosen by their name (never grey, which
# reads as "no colour").
AUTOMATIC_COLOURS = [colour for colour in Tag.Colour.values if colour != Tag.Colour.GREY]


@dataclass(frozen=True)
class TagChange:
    added: list[str]
    removed: list[str]


def clean_tag_name(name: str) -> str:
    """The name as stored: trimmed, inner whitespace collapsed; refused when empty or too long."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise Refused("Enter a name for the tag.", field="name")
    if len(cleaned) > TAG_NAME_MAX_LENGTH:
        raise Refused(f"A tag name has at most {TAG_NAME_MAX_LENGTH} characters.", field="name")
    return cleaned


def automatic_colour(name: str) -> str:
    """A stable colour for a new tag, so the same name always looks the same."""
    return AUTOMATIC_COLOURS[zlib.crc32(name.lower().encode()) % len(AUTOMATIC_COLOURS)]


def _refuse_taken_name(*, workspace_id: int, name: str, except_pk: int | None = None) -> None:
    same = Tag.objects.filter(workspace_id=workspace_id, name__iexact=name)
    if except_pk is not None:
        same = same.exclude(pk=except_pk)
    if same.exists():
        raise Refused(f"A tag named “{name}” already exists.", field="name")


def _clean_colour(colour: str) -> str:
    if colour not in Tag.Colour.values:
        raise Refused("Choose one of the colours offered.", field="colour")
    return colour


def tag_create(*, workspace: Workspace, name: str, colour: str = "") -> Tag:
    """A new tag; the name must be unused in the workspace, whatever its case."""
    name = clean_tag_name(name)
    colour = _clean_colour(colour) if colour else automatic_colour(name)
    with transaction.atomic():
        _refuse_taken_name(workspace_id=workspace.pk, name=name)
        return Tag.objects.create(workspace=workspace, name=name, colour=colour)


def tag_find_or_create(*, workspace: Workspace, name: str) -> Tag:
    """The tag of that name (any case), created when the workspace has none yet."""
    name = clean_tag_name(name)
    existing = Tag.objects.filter(workspace_id=workspace.pk, name__iexact=name).first()
    return existing if existing is not None else tag_create(workspace=workspace, name=name)


def tag_update(*, tag: Tag, name: str, colour: str) -> Tag:
    """Rename or recolour a tag; threads keep it (their events keep the old name)."""
    name = clean_tag_name(name)
    colour = _clean_colour(colour)
    with transaction.atomic():
        _refuse_taken_name(workspace_id=tag.workspace_id, name=name, except_pk=tag.pk)
        tag.name = name
        tag.colour = colour
        tag.save(update_fields=["name", "colour"])
    inbox_changed(workspace_id=tag.workspace_id)
    return tag


def _record(thread: Thread, change: TagChange, by: Agent | None) -> None:
    thread_event_record(
        thread=thread,
        kind=ThreadEvent.Kind.TAGS_CHANGED,
        actor_id=by.user_id if by is not None else None,
        at=timezone.now(),
        data={"added": change.added, "removed": change.removed},
    )


def tag_merge(*, source: Tag, target: Tag, by: Agent | None = None) -> int:
    """Move every thread of `source` to `target` and delete `source`; returns how many threads
    carried `source`. Each thread records the change, like any other change of its tags."""
    if source.workspace_id != target.workspace_id:
        raise Refused("That tag is not in this workspace.")
    if source.pk == target.pk:
        raise Refused("Choose another tag to merge into.", field="target")
    with transaction.atomic():
        threads = list(Thread.objects.filter(tags=source).order_by("id"))
        already = set(Thread.objects.filter(tags=target).values_list("id", flat=True))
        through = Thread.tags.through
        through.objects.bulk_create(
            [through(thread_id=t.pk, tag_id=target.pk) for t in threads if t.pk not in already]
        )
        for thread in threads:
            added = [] if thread.pk in already else [target.name]
            _record(thread, TagChange(added=added, removed=[source.name]), by)
        source.delete()
    workspace_id = target.workspace_id
    transaction.on_commit(lambda: inbox_changed(workspace_id=workspace_id))
    return len(threads)


def thread_tags_set(*, thread: Thread, tags: Iterable[Tag], by: Agent | None = None) -> TagChange:
    """Give the thread exactly these tags; records what was added and removed, if anything."""
    wanted = {tag.pk: tag for tag in tags}
    if any(tag.workspace_id != thread.workspace_id for tag in wanted.values()):
        raise Refused("That tag is not in this workspace.")
    with transaction.atomic():
        current = {tag.pk: tag for tag in thread.tags.all()}
        added = [wanted[pk] for pk in wanted if pk not in current]
        removed = [current[pk] for pk in current if pk not in wanted]
        if added:
            thread.tags.add(*added)
        if removed:
            thread.tags.remove(*removed)
        change = TagChange(
            added=sorted(tag.name for tag in added), removed=sorted(tag.name for tag in removed)
        )
        if added or removed:
            _record(thread, change, by)
            workspace_id = thread.workspace_id
            transaction.on_commit(lambda: inbox_changed(workspace_id=workspace_id))
    return change


def thread_tag_add(*, thread: Thread, tag: Tag, by: Agent | None = None) -> TagChange:
    """Put one more tag on the thread (nothing happens if it already has it)."""
    with transaction.atomic():
        current = list(thread.tags.all())
        return thread_tags_set(thread=thread, tags=[*current, tag], by=by)


def thread_tag_remove(*, thread: Thread, tag: Tag, by: Agent | None = None) -> TagChange:
    """Take one tag off the thread (nothing happens if it does not have it)."""
    with transaction.atomic():
        current = [other for other in thread.tags.all() if other.pk != tag.pk]
        return thread_tags_set(thread=thread, tags=current, by=by)
