"""Bulk actions on the inbox list: one change applied to many threads, undoable for a moment.

Each thread goes through the same service as a one-thread action (inbox.services.threads, tags,
snooze), so every change writes its events. What each thread was before is kept on a
BulkAction row; `bulk_undo` puts it back (through the same services, so the undo is recorded
too) within UNDO_SECONDS, and refuses afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from helpdesk.models import Agent, Team, Workspace
from helpdesk.refusals import Refused
from inbox.models import BlockedSender, BulkAction, Tag, Thread, Ticket
from inbox.services import snooze as snooze_services
from inbox.services import tags as tag_services
from inbox.services import threads as thread_services
from inbox.services.senders import sender_block

UNDO_SECONDS = 10
# One page of the list, or a refreshed list after "Load older": never more than this at once.
MAX_THREADS = 500
# Rows older than this are only history nobody can undo any more: removed as new ones come.
KEEP_FOR = timedelta(days=1)


class Action:
    ASSIGN = "assign"
    CLOSE = "close"
    REOPEN = "reopen"
    TAG = "tag"
    SNOOZE = "snooze"
    SPAM = "spam"


ACTIONS = (Action.ASSIGN, Action.CLOSE, Action.REOPEN, Action.TAG, Action.SNOOZE, Action.SPAM)


@dataclass(frozen=True)
class BulkChange:
    """What to do: the action and its one argument (an agent, a tag, a time)."""

    action: str
    assignee: Agent | None = None
    tag: Tag | None = None
    until: datetime | None = None


@dataclass
class BulkResult:
    bulk: BulkAction
    changed: int = 0
    # Threads the action did not apply to, with the sentence their service gave.
    skipped: list[tuple[Thread, str]] = field(default_factory=list)


def _snapshot(thread: Thread, action: str) -> dict[str, Any]:
    """The thread's state the action may change, as JSON."""
    ticket = _ticket(thread)
    state: dict[str, Any] = {
        "status": thread.status,
        "is_spam": thread.is_spam,
        "assignee_id": thread.assignee_id,
        "team_id": thread.assigned_team_id,
        "snoozed_until": thread.snoozed_until.isoformat() if thread.snoozed_until else None,
        "ticket_status": ticket.status if ticket else None,
    }
    if action == Action.TAG:
        state["tag_ids"] = sorted(tag.pk for tag in thread.tags.all())
    if action == Action.SPAM:
        email = thread.contact.email.lower() if thread.contact else ""
        state["blocked_before"] = bool(email) and (
            BlockedSender.objects.annotate(lower=Lower("value"))
            .filter(workspace_id=thread.workspace_id, lower=email)
            .exists()
        )
    return state


def _ticket(thread: Thread) -> Ticket | None:
    try:
        return thread.ticket
    except Ticket.DoesNotExist:
        return None


def _apply_one(thread: Thread, change: BulkChange, by: Agent) -> None:
    if change.action == Action.ASSIGN:
        thread_services.thread_assign(
            thread=thread, assignee=change.assignee, team=thread.assigned_team, by=by
        )
    elif change.action in (Action.CLOSE, Action.REOPEN):
        status = Thread.Status.CLOSED if change.action == Action.CLOSE else Thread.Status.OPEN
        thread_services.thread_set_status(thread=thread, status=status, by=by)
    elif change.action == Action.TAG:
        assert change.tag is not None
        tag_services.thread_tag_add(thread=thread, tag=change.tag, by=by)
    elif change.action == Action.SNOOZE:
        assert change.until is not None
        snooze_services.thread_snooze(thread=thread, until=change.until, by=by)
    elif change.action == Action.SPAM:
        thread_services.thread_mark_spam(thread=thread, by=by)


def _check(change: BulkChange, workspace: Workspace) -> None:
    if change.action not in ACTIONS:
        raise Refused("Choose what to do with the selected conversations.")
    if change.action == Action.TAG and change.tag is None:
        raise Refused("Choose a tag to add.", field="tag")
    if change.action == Action.SNOOZE and change.until is None:
        raise Refused("Choose when the conversations should come back.", field="until")
    if change.tag is not None and change.tag.workspace_id != workspace.pk:
        raise Refused("That tag is not in this workspace.")


def bulk_apply(
    *, workspace: Workspace, thread_ids: Sequence[int], change: BulkChange, by: Agent
) -> BulkResult:
    """Apply `change` to the workspace's conversations among `thread_ids` (others' ids are
    ignored), in one transaction; a thread its service refuses is skipped and reported."""
    _check(change, workspace)
    ids = list(dict.fromkeys(int(pk) for pk in thread_ids))[:MAX_THREADS]
    threads = list(
        Thread.objects.filter(workspace_id=workspace.pk, pk__in=ids, kind=Thread.Kind.CONVERSATION)
        .select_related("contact", "assigned_team", "ticket")
        .order_by("-last_message_at", "-id")
    )
    if not threads:
        raise Refused("Select at least one conversation first.")
    now = timezone.now()
    with transaction.atomic():
        BulkAction.objects.filter(workspace_id=workspace.pk, created_at__lt=now - KEEP_FOR).delete()
        result = BulkResult(
            bulk=BulkAction(workspace=workspace, actor_id=by.user_id, action=change.action)
        )
        # Every snapshot before any change: two threads of one contact marked as spam must
        # both remember the address as not blocked before the batch.
        states = [_snapshot(thread, change.action) for thread in threads]
        previous: dict[str, dict[str, Any]] = {}
        for thread, state in zip(threads, states, strict=True):
            # Each service refuses before it writes, inside its own atomic block (a savepoint
            # here), so a refused thread is left untouched while the others go on.
            try:
                _apply_one(thread, change, by)
            except Refused as error:
                result.skipped.append((thread, str(error)))
                continue
            previous[str(thread.pk)] = state
            result.changed += 1
        result.bulk.previous = previous
        result.bulk.created_at = timezone.now()
        result.bulk.save()
    return result


def is_undo_expired(bulk: BulkAction, *, now: datetime) -> bool:
    return now - bulk.created_at > timedelta(seconds=UNDO_SECONDS)


def bulk_undo(*, bulk: BulkAction, by: Agent, now: datetime | None = None) -> int:
    """Put every thread of the batch back as it was; refused once UNDO_SECONDS have passed,
    when already undone, or for anyone but the agent who made the change."""
    now = now or timezone.now()
    if bulk.workspace_id != by.workspace_id or bulk.actor_id != by.user_id:
        raise Refused("Only the agent who made this change can undo it.")
    if bulk.undone_at is not None:
        raise Refused("That change was already undone.")
    if is_undo_expired(bulk, now=now):
        raise Refused(
            f"Too late to undo: a change to several conversations can be undone for "
            f"{UNDO_SECONDS} seconds. Change them back one by one instead."
        )
    with transaction.atomic():
        # Conditional: a double click (or a second tab) undoes once.
        if not BulkAction.objects.filter(pk=bulk.pk, undone_at__isnull=True).update(undone_at=now):
            raise Refused("That change was already undone.")
        bulk.undone_at = now
        threads = Thread.objects.filter(
            workspace_id=bulk.workspace_id, pk__in=[int(pk) for pk in bulk.previous]
        ).select_related("contact", "assigned_team", "ticket")
        restore = RESTORERS[bulk.action]
        for thread in threads:
            restore(thread, bulk.previous[str(thread.pk)], by)
    return len(bulk.previous)


def _restore_assignment(thread: Thread, state: dict[str, Any], by: Agent) -> None:
    assignee = Agent.objects.filter(
        workspace_id=thread.workspace_id, user_id=state["assignee_id"]
    ).first()
    team = Team.objects.filter(workspace_id=thread.workspace_id, pk=state["team_id"]).first()
    thread_services.thread_assign(thread=thread, assignee=assignee, team=team, by=by)


def _restore_status(thread: Thread, state: dict[str, Any], by: Agent) -> None:
    thread_services.thread_set_status(thread=thread, status=state["status"], by=by)
    ticket = Ticket.objects.filter(thread_id=thread.pk).first()
    wanted = state.get("ticket_status")
    if ticket is not None and wanted and ticket.status != wanted:
        owner = (
            Agent.objects.filter(workspace_id=thread.workspace_id, user_id=ticket.owner_id).first()
            if ticket.owner_id is not None
            else None
        )
        thread_services.ticket_update(thread=thread, changes={"status": wanted}, owner=owner, by=by)


def _restore_tags(thread: Thread, state: dict[str, Any], by: Agent) -> None:
    tags = Tag.objects.filter(workspace_id=thread.workspace_id, pk__in=state["tag_ids"])
    tag_services.thread_tags_set(thread=thread, tags=list(tags), by=by)


def _restore_snooze(thread: Thread, state: dict[str, Any], by: Agent) -> None:
    until = parse_datetime(state["snoozed_until"]) if state["snoozed_until"] else None
    if until is not None:
        try:
            snooze_services.thread_snooze(thread=thread, until=until, by=by)
            return
        except Refused:
            pass  # its old time has passed meanwhile: it is due, so it wakes
    snooze_services.thread_wake(thread=thread, reason=snooze_services.WOKE_UNSNOOZED, by=by)


def _restore_spam(thread: Thread, state: dict[str, Any], by: Agent) -> None:
    thread_services.thread_not_spam(thread=thread, by=by)
    if state.get("blocked_before") and thread.contact is not None:
        # Blocked on purpose before this batch: "not spam" must not lift that block.
        sender_block(workspace_id=thread.workspace_id, value=thread.contact.email, by=by)
    if state["status"] != thread.status:
        _restore_status(thread, state, by)


RESTORERS: dict[str, Callable[[Thread, dict[str, Any], Agent], None]] = {
    Action.ASSIGN: _restore_assignment,
    Action.CLOSE: _restore_status,
    Action.REOPEN: _restore_status,
    Action.TAG: _restore_tags,
    Action.SNOOZE: _restore_snooze,
    Action.SPAM: _restore_spam,
}
