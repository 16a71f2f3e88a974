"""Snooze: a thread leaves the open views until a time, then comes back saying why.

`Thread.snoozed_until` hides it (inbox.selectors.threads), `Thread.woke_reason` is the banner
after it woke; the `snoozed` and `woke` ThreadEvents are the history. It wakes when the time
comes (`threads_wake_due`, beat every minute), when the contact writes (the inbound pipeline
clears the snooze in its thread UPDATE and calls `thread_woke_by_contact`), or when an agent
unsnoozes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from helpdesk.broker import run_in_process_at
from helpdesk.models import Agent
from helpdesk.refusals import Refused
from inbox.models import Thread, ThreadEvent
from inbox.selectors.threads import inbox_changed
from inbox.services.events import thread_event_record
from inbox.snooze_times import InvalidSnoozeTime, check_until, describe_absolute, zone_for

WOKE_ENDED = "ended"  # the snooze time came
WOKE_REPLIED = "replied"  # the contact wrote
WOKE_UNSNOOZED = "unsnoozed"  # an agent brought it back early
WOKE_REASONS = (WOKE_ENDED, WOKE_REPLIED, WOKE_UNSNOOZED)
# How many due threads one run of the wake-up task takes; the next minute takes the rest.
WAKE_BATCH = 500


def _changed(workspace_id: int) -> None:
    transaction.on_commit(lambda: inbox_changed(workspace_id=workspace_id))


def thread_snooze(
    *, thread: Thread, until: datetime, by: Agent, now: datetime | None = None
) -> Thread:
    """Hide an open conversation until `until` (aware); snoozing again moves the time."""
    now = now or timezone.now()
    if by.workspace_id != thread.workspace_id:
        raise Refused("That agent is not in this workspace.")
    if thread.kind != Thread.Kind.CONVERSATION or thread.is_spam:
        raise Refused("Only conversations in the inbox can be snoozed.")
    if thread.status != Thread.Status.OPEN:
        raise Refused("A closed conversation cannot be snoozed: reopen it first.")
    try:
        check_until(until, now=now)
    except InvalidSnoozeTime as error:
        raise Refused(str(error), field="until") from error
    with transaction.atomic():
        previous = thread.snoozed_until
        thread.snoozed_until, thread.woke_reason = until, ""
        thread.save(update_fields=["snoozed_until", "woke_reason"])
        thread_event_record(
            thread=thread,
            kind=ThreadEvent.Kind.SNOOZED,
            actor_id=by.user_id,
            at=now,
            data={
                "until": until.isoformat(),
                "from_until": previous.isoformat() if previous else None,
                # What the timeline shows, on the clock of the agent who chose it.
                "until_label": describe_absolute(until, zone=zone_for(_time_zone_of(by))),
            },
        )
        _changed(thread.workspace_id)
        transaction.on_commit(lambda: _wake_in_process_at(until))
    return thread


def _time_zone_of(agent: Agent) -> str:
    return agent.time_zone or agent.workspace.time_zone


def _wake_in_process_at(until: datetime) -> None:
    """Without a broker there is no beat (`make run`): a timer of this process wakes the thread
    on time. A restart loses it, and the views already count a due thread as awake."""
    from inbox.tasks import wake_snoozed  # inbox.tasks imports this module

    if wake_snoozed.app.conf.task_always_eager:
        run_in_process_at(wake_snoozed, (), eta=until + timedelta(seconds=1))


def thread_wake(
    *, thread: Thread, reason: str, by: Agent | None = None, now: datetime | None = None
) -> Thread:
    """Bring a snoozed thread back now, recording why; a thread not snoozed is left alone."""
    if reason not in WOKE_REASONS:
        raise ValueError(f"Unknown wake-up reason {reason!r}")
    if by is not None and by.workspace_id != thread.workspace_id:
        raise Refused("That agent is not in this workspace.")
    if thread.snoozed_until is None:
        return thread
    now = now or timezone.now()
    with transaction.atomic():
        until = thread.snoozed_until
        # Conditional: the wake-up task or the pipeline may have woken it meanwhile.
        woken = Thread.objects.filter(pk=thread.pk, snoozed_until__isnull=False).update(
            snoozed_until=None, woke_reason=_banner_reason(reason)
        )
        thread.snoozed_until, thread.woke_reason = None, _banner_reason(reason)
        if woken:
            _record_woke(thread, reason=reason, until=until, actor_id=_actor_id(by), at=now)
            _changed(thread.workspace_id)
    return thread


def _banner_reason(reason: str) -> str:
    # An agent who unsnoozed a thread knows why: no banner for it.
    return "" if reason == WOKE_UNSNOOZED else reason


def _actor_id(by: Agent | None) -> int | None:
    return by.user_id if by is not None else None


def _record_woke(
    thread: Thread, *, reason: str, until: datetime | None, actor_id: int | None, at: datetime
) -> None:
    thread_event_record(
        thread=thread,
        kind=ThreadEvent.Kind.WOKE,
        actor_id=actor_id,
        at=at,
        data={"reason": reason, "until": until.isoformat() if until else None},
    )


def thread_woke_by_contact(*, thread: Thread, at: datetime) -> None:
    """Record that the contact's new message woke the thread; the pipeline's thread UPDATE
    already cleared the snooze (no statement of its own for that on the reply path)."""
    _record_woke(thread, reason=WOKE_REPLIED, until=None, actor_id=None, at=at)
    _changed(thread.workspace_id)


def threads_wake_due(*, now: datetime, limit: int = WAKE_BATCH) -> int:
    """Wake every thread whose snooze has ended (one indexed query finds them); returns how many."""
    due = list(
        Thread.objects.filter(snoozed_until__lte=now)
        .order_by("snoozed_until")
        .values_list("pk", "workspace_id", "snoozed_until")[:limit]
    )
    woken = 0
    for pk, workspace_id, until in due:
        with transaction.atomic():
            # Only if still snoozed until that time: an agent may have moved it meanwhile.
            if not Thread.objects.filter(pk=pk, snoozed_until=until).update(
                snoozed_until=None, woke_reason=WOKE_ENDED
            ):
                continue
            thread = Thread(pk=pk, workspace_id=workspace_id)
            _record_woke(thread, reason=WOKE_ENDED, until=until, actor_id=None, at=now)
            _changed(workspace_id)
        woken += 1
    return woken
