"""Agent actions on threads, contacts and tickets. Callers pass objects already scoped to the
agent's workspace; every function re-checks that what it links belongs to the same workspace."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from helpdesk.models import Agent, Team
from helpdesk.refusals import Refused
from inbox.models import (
    BlockedSender,
    Contact,
    Notification,
    Thread,
    ThreadEvent,
    ThreadReadState,
    Ticket,
)
from inbox.selectors.threads import inbox_changed
from inbox.services.events import thread_event_record
from inbox.services.notifications import notify
from inbox.services.senders import sender_block, sender_unblock


def _changed(thread: Thread) -> None:
    workspace_id = thread.workspace_id
    transaction.on_commit(lambda: inbox_changed(workspace_id=workspace_id))


def _actor_id(by: Agent | None) -> int | None:
    return by.user_id if by is not None else None


def thread_assign(
    *,
    thread: Thread,
    assignee: Agent | None = None,
    team: Team | None = None,
    by: Agent | None = None,
) -> Thread:
    """Give the thread to an agent (or to a team's queue, or to nobody); `by` did it."""
    for linked in (assignee, team):
        if linked is not None and linked.workspace_id != thread.workspace_id:
            raise Refused("That agent or team is not in this workspace.")
    previous = (thread.assignee_id, thread.assigned_team_id)
    with transaction.atomic():
        thread.assignee_id = assignee.user_id if assignee else None
        thread.assigned_team = team
        thread.save(update_fields=["assignee", "assigned_team"])
        if (thread.assignee_id, thread.assigned_team_id) != previous:
            thread_event_record(
                thread=thread,
                kind=ThreadEvent.Kind.ASSIGNED,
                actor_id=_actor_id(by),
                at=timezone.now(),
                data={
                    "assignee_id": thread.assignee_id,
                    "team_id": thread.assigned_team_id,
                    "from_assignee_id": previous[0],
                    "from_team_id": previous[1],
                },
            )
        if thread.assignee_id is not None and thread.assignee_id != previous[0]:
            notify(
                workspace_id=thread.workspace_id, recipient_ids=[thread.assignee_id],
                kind=Notification.Kind.ASSIGNED, thread_id=thread.pk,
                actor_id=_actor_id(by), data={},
            )  # fmt: skip
        _changed(thread)
    return thread


def thread_set_status(*, thread: Thread, status: str, by: Agent | None = None) -> Thread:
    """Close or reopen; the ticket follows a close (and a reopened ticket waits on us)."""
    if status not in Thread.Status.values:
        raise Refused("Unknown status.")
    previous = thread.status
    closed = status == Thread.Status.CLOSED
    with transaction.atomic():
        thread.status = status
        fields = ["status"]
        if closed and thread.snoozed_until is not None:
            # Closing ends a snooze: a reopened thread must not hide under Snoozed.
            thread.snoozed_until = None
            fields.append("snoozed_until")
        thread.save(update_fields=fields)
        if status != previous:
            thread_event_record(
                thread=thread,
                kind=ThreadEvent.Kind.CLOSED if closed else ThreadEvent.Kind.REOPENED,
                actor_id=_actor_id(by),
                at=timezone.now(),
                data={"from": previous, "to": status},
            )
        ticket = Ticket.objects.filter(thread_id=thread.pk).first()
        if ticket is not None:
            ticket.status = "closed" if closed else "waiting_on_us"
            ticket.save(update_fields=["status"])
        _changed(thread)
    return thread


def thread_mark_spam(*, thread: Thread, by: Agent | None) -> Thread:
    """Block the contact's address and move the thread out of every inbox view."""
    with transaction.atomic():
        if thread.contact_id is not None and thread.contact is not None:
            sender_block(workspace_id=thread.workspace_id, value=thread.contact.email, by=by)
        previous = thread.status
        thread.is_spam = True
        thread.status = Thread.Status.CLOSED
        thread.save(update_fields=["is_spam", "status"])
        thread_event_record(
            thread=thread,
            kind=ThreadEvent.Kind.SPAM,
            actor_id=_actor_id(by),
            at=timezone.now(),
            data={"is_spam": True, "from": previous, "to": Thread.Status.CLOSED},
        )
        _changed(thread)
    return thread


def thread_not_spam(*, thread: Thread, by: Agent | None = None) -> list[str]:
    """Undo "Mark as spam": back to the open inbox, the contact's address unblocked.

    Returns the blocks still refusing the contact (their domain, blocked on purpose), so the
    agent can be told; a domain block is never lifted as a side effect.
    """
    email = thread.contact.email.strip().lower() if thread.contact is not None else ""
    domain = email.rpartition("@")[2]
    with transaction.atomic():
        previous = thread.status
        thread.is_spam = False
        thread.status = Thread.Status.OPEN
        thread.save(update_fields=["is_spam", "status"])
        # Back in the inbox: the reports count it open again, as after any reopen.
        thread_event_record(
            thread=thread,
            kind=ThreadEvent.Kind.NOT_SPAM,
            actor_id=_actor_id(by),
            at=timezone.now(),
            data={"is_spam": False, "from": previous, "to": Thread.Status.OPEN},
        )
        remaining: list[str] = []
        if email:
            blocks = BlockedSender.objects.annotate(lower=Lower("value")).filter(
                workspace_id=thread.workspace_id, lower__in=[email, domain]
            )
            for block in blocks:
                if block.value.lower() == email:
                    sender_unblock(blocked=block)
                else:
                    remaining.append(block.value)
        _changed(thread)
    return remaining


def thread_change_contact(
    *, thread: Thread, email: str, name: str = "", by: Agent | None = None
) -> Contact:
    """Attribute the thread to another person (found or created by address, case-insensitive)."""
    email = email.strip()
    if "@" not in email or any(ch in email for ch in "\r\n <>"):
        raise Refused("Enter a valid email address.")
    with transaction.atomic():
        contact = (
            Contact.objects.filter(workspace_id=thread.workspace_id, email__iexact=email)
            .order_by("id")
            .first()
        )
        if contact is None:
            contact = Contact.objects.create(
                workspace_id=thread.workspace_id, email=email, name=name.strip()
            )
        elif name.strip() and not contact.name:
            contact.name = name.strip()
            contact.save(update_fields=["name"])
        previous = thread.contact_id
        thread.contact = contact
        thread.save(update_fields=["contact"])
        if contact.pk != previous:
            thread_event_record(
                thread=thread,
                kind=ThreadEvent.Kind.CONTACT_CHANGED,
                actor_id=_actor_id(by),
                at=timezone.now(),
                data={"from_contact_id": previous, "contact_id": contact.pk},
            )
        _changed(thread)
    return contact


def contact_set_owner(*, contact: Contact, owner: Agent | None) -> Contact:
    if owner is not None and owner.workspace_id != contact.workspace_id:
        raise Refused("That agent is not in this workspace.")
    contact.owner_id = owner.user_id if owner else None
    contact.save(update_fields=["owner"])
    return contact


TICKET_FIELDS = ("pipeline", "status", "priority", "category")


def ticket_update(
    *, thread: Thread, changes: dict[str, str], owner: Agent | None, by: Agent | None = None
) -> Ticket:
    """Edit ticket properties in place; creates the ticket if the thread has none yet."""
    if owner is not None and owner.workspace_id != thread.workspace_id:
        raise Refused("That agent is not in this workspace.")
    with transaction.atomic():
        ticket, _ = Ticket.objects.get_or_create(
            thread_id=thread.pk, defaults={"name": thread.subject or "(no subject)"}
        )
        before = {name: getattr(ticket, name) for name in (*TICKET_FIELDS, "owner_id")}
        for name in TICKET_FIELDS:
            if name in changes:
                model_field = Ticket._meta.get_field(name)
                choices = {value for value, _ in getattr(model_field, "choices", None) or []}
                if changes[name] not in choices:
                    raise Refused(f"Unknown {name}.")
                setattr(ticket, name, changes[name])
        ticket.owner_id = owner.user_id if owner else None
        ticket.full_clean(exclude=["thread"])
        ticket.save()
        _ticket_event(thread=thread, ticket=ticket, before=before, by=by)
    return ticket


def _ticket_event(
    *, thread: Thread, ticket: Ticket, before: dict[str, object], by: Agent | None
) -> None:
    """One "ticket_changed" event naming each property that changed, from and to."""
    changed = {
        name: {"from": value, "to": getattr(ticket, name)}
        for name, value in before.items()
        if getattr(ticket, name) != value
    }
    if changed:
        thread_event_record(
            thread=thread,
            kind=ThreadEvent.Kind.TICKET_CHANGED,
            actor_id=_actor_id(by),
            at=timezone.now(),
            data=changed,
        )


def thread_mark_read(*, thread: Thread, user_id: int, at: datetime) -> None:
    """Remember that this agent has seen the thread up to `at` (one upsert)."""
    ThreadReadState.objects.bulk_create(
        [
            ThreadReadState(
                thread_id=thread.pk, user_id=user_id, last_read_at=max(at, thread.last_message_at)
            )
        ],
        update_conflicts=True,
        unique_fields=["thread", "user"],
        update_fields=["last_read_at"],
    )


def agent_set_availability(*, agent: Agent, availability: str) -> Agent:
    """Available agents receive new threads from round robin; away ones do not."""
    if availability not in Agent.Availability.values:
        raise Refused("Unknown availability.")
    agent.availability = availability
    agent.save(update_fields=["availability"])
    return agent
