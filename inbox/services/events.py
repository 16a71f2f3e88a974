"""The one place a thread's history is written: every ThreadEvent comes from here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from helpdesk.db import insert_row
from inbox.models import Thread, ThreadEvent


def thread_event_record(
    *, thread: Thread, kind: str, actor_id: int | None, at: datetime, data: dict[str, Any]
) -> ThreadEvent:
    """Record what happened to the thread; call it inside the transaction of the change, so
    the event exists exactly when the change does. `actor_id` None means the system."""
    if kind not in ThreadEvent.Kind.values:
        raise ValueError(f"Unknown thread event kind {kind!r}")
    event = ThreadEvent(
        thread_id=thread.pk,
        workspace_id=thread.workspace_id,
        kind=kind,
        actor_id=actor_id,
        at=at,
        data=data,
    )
    # No savepoint of its own: it belongs to the caller's transaction (two round trips fewer
    # on every new conversation the pipeline assigns). Deferred: inside `pipelined` (the inbound
    # pipeline) it travels with the next statement; elsewhere it runs at once.
    with transaction.atomic(savepoint=False):
        insert_row(event, deferred=True)
    return event
