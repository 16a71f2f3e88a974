"""The ticket's status follows the conversation.

An agent's reply moves a new ticket (or one waiting on us) to "Waiting on contact"; the
contact writing back moves it to "Waiting on us" (a closed thread also reopens, in the
pipeline); a workspace may close conversations left waiting on the contact for N days
(`threads_close_waiting`, on beat). Each move records a `ticket_changed` event.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from channels_cfg.models import TicketStatus
from helpdesk.models import Agent, Workspace
from helpdesk.refusals import Refused
from inbox.models import Thread, ThreadEvent, Ticket
from inbox.selectors.threads import inbox_changed
from inbox.services.events import thread_event_record

logger = logging.getLogger(__name__)

# How many waiting threads one run closes per workspace; the next run takes the rest.
CLOSE_BATCH = 500


def status_after_agent_reply(status: str) -> str | None:
    """The ticket's next status when an agent replies, or None to leave it."""
    if status in (TicketStatus.NEW, TicketStatus.WAITING_ON_US):
        return TicketStatus.WAITING_ON_CONTACT
    return None


def status_after_contact_wrote(status: str) -> str | None:
    """The ticket's next status when the contact writes, or None to leave it. A new ticket
    stays new (nobody has answered yet); a closed one opens again with its thread."""
    if status in (TicketStatus.WAITING_ON_CONTACT, TicketStatus.CLOSED):
        return TicketStatus.WAITING_ON_US
    return None


def _move(
    *, thread: Thread, ticket_id: int, before: str, after: str, actor_id: int | None, now: datetime
) -> None:
    # Conditional on the status read: a concurrent edit by an agent wins.
    if Ticket.objects.filter(pk=ticket_id, status=before).update(status=after):
        thread_event_record(
            thread=thread,
            kind=ThreadEvent.Kind.TICKET_CHANGED,
            actor_id=actor_id,
            at=now,
            data={"status": {"from": before, "to": after}},
        )


def ticket_follow_agent_reply(*, thread: Thread, by: Agent, now: datetime) -> None:
    """Call inside the reply's transaction: the ticket now waits on the contact."""
    ticket = Ticket.objects.filter(thread_id=thread.pk).only("id", "status").first()
    if ticket is None:
        return
    after = status_after_agent_reply(ticket.status)
    if after is not None:
        _move(
            thread=thread,
            ticket_id=ticket.pk,
            before=ticket.status,
            after=after,
            actor_id=by.user_id,
            now=now,
        )


def ticket_follow_contact(*, thread: Thread, ticket_status: str | None, now: datetime) -> None:
    """Call inside the pipeline's transaction with the ticket's status as the thread UPDATE
    returned it (None: no ticket). No statement at all unless the status moves."""
    after = status_after_contact_wrote(ticket_status) if ticket_status else None
    if ticket_status is None or after is None:
        return
    # One UPDATE through the thread (its unique index): the ticket's id is not needed.
    if Ticket.objects.filter(thread_id=thread.pk, status=ticket_status).update(status=after):
        thread_event_record(
            thread=thread,
            kind=ThreadEvent.Kind.TICKET_CHANGED,
            actor_id=None,
            at=now,
            data={"status": {"from": ticket_status, "to": after}},
        )


def threads_close_waiting(*, now: datetime | None = None, limit: int = CLOSE_BATCH) -> int:
    """Close conversations whose ticket waited on the contact for the workspace's
    `auto_close_waiting_days`; `closed` events have no actor. Returns how many closed."""
    now = now or timezone.now()
    closed = 0
    workspaces = Workspace.objects.filter(auto_close_waiting_days__isnull=False).values_list(
        "pk", "auto_close_waiting_days"
    )
    for workspace_id, days in workspaces:
        if days:  # 0 is refused by workspace_set_auto_close; never "close everything waiting"
            closed += _close_waiting_in(workspace_id, days=days, now=now, limit=limit)
    return closed


def _close_waiting_in(workspace_id: int, *, days: int, now: datetime, limit: int) -> int:
    # Waiting since the last message (the agent's reply that set the status), snoozed ones
    # excepted: the agent chose when to look at those again.
    due = list(
        Thread.objects.filter(
            workspace_id=workspace_id,
            kind=Thread.Kind.CONVERSATION,
            status=Thread.Status.OPEN,
            is_spam=False,
            snoozed_until__isnull=True,
            ticket__status=TicketStatus.WAITING_ON_CONTACT,
            last_message_at__lt=now - timedelta(days=days),
        )
        .order_by("last_message_at")
        .values_list("pk", "last_message_at")[:limit]
    )
    closed = 0
    for pk, last_message_at in due:
        with transaction.atomic():
            # Only if nothing moved since the read: a new message changes last_message_at.
            if not Thread.objects.filter(
                pk=pk, status=Thread.Status.OPEN, last_message_at=last_message_at
            ).update(status=Thread.Status.CLOSED):
                continue
            thread = Thread(pk=pk, workspace_id=workspace_id)
            thread_event_record(
                thread=thread,
                kind=ThreadEvent.Kind.CLOSED,
                actor_id=None,
                at=now,
                data={"from": "open", "to": "closed", "by": "auto_close", "days": days},
            )
            ticket = Ticket.objects.filter(thread_id=pk).only("id", "status").first()
            if ticket is not None and ticket.status != TicketStatus.CLOSED:
                _move(
                    thread=thread,
                    ticket_id=ticket.pk,
                    before=ticket.status,
                    after=TicketStatus.CLOSED,
                    actor_id=None,
                    now=now,
                )
        closed += 1
    if closed:
        transaction.on_commit(lambda: inbox_changed(workspace_id=workspace_id))
        logger.info(
            "Closed %d conversations waiting on the contact in workspace %d", closed, workspace_id
        )
    return closed


MAX_AUTO_CLOSE_DAYS = 365


def workspace_set_auto_close(*, workspace: Workspace, days: int | None) -> Workspace:
    """Close conversations waiting on the contact after `days` days; None turns it off."""
    if days is not None and not 1 <= days <= MAX_AUTO_CLOSE_DAYS:
        raise Refused(
            f"Choose between 1 and {MAX_AUTO_CLOSE_DAYS} days, or leave it empty.", field="days"
        )
    workspace.auto_close_waiting_days = days
    workspace.save(update_fields=["auto_close_waiting_days"])
    return workspace


def ticket_follow_reply_undone(
    *, thread: Thread, reply_at: datetime, by: Agent, now: datetime
) -> None:
    """Call inside the undo's transaction: a reply taken back before it was sent gives the
    ticket back the status that reply moved it from (if nothing moved it since)."""
    moved = (
        ThreadEvent.objects.filter(
            thread_id=thread.pk,
            kind=ThreadEvent.Kind.TICKET_CHANGED,
            actor_id=by.user_id,
            at=reply_at,
        )
        .order_by("-id")
        .values_list("data", flat=True)
        .first()
    )
    change = moved.get("status") if isinstance(moved, dict) else None
    if not isinstance(change, dict) or change.get("to") != TicketStatus.WAITING_ON_CONTACT:
        return
    ticket = Ticket.objects.filter(thread_id=thread.pk).only("id", "status").first()
    if ticket is not None and ticket.status == TicketStatus.WAITING_ON_CONTACT:
        _move(
            thread=thread,
            ticket_id=ticket.pk,
            before=ticket.status,
            after=str(change.get("from")),
            actor_id=by.user_id,
            now=now,
        )
