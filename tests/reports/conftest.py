"""A workspace in Europe/Berlin with hand-made history around the DST change of 29 March 2026
(clocks go from 02:00 to 03:00, so that local day has 23 hours), and the known answers.

Times are written in UTC. Local days (CET = UTC+1 before 01:00Z on the 29th, CEST = UTC+2 after):
  28 March = [27th 23:00Z, 28th 23:00Z)   29 March = [28th 23:00Z, 29th 22:00Z)
  30 March = [29th 22:00Z, 30th 22:00Z)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from helpdesk.models import Agent, Workspace
from inbox.models import InboundEmail, Message, Thread
from inbox.services.events import thread_event_record
from reports.periods import Period
from reports.selectors import Scope
from tests.factories import (
    AdminFactory,
    AgentFactory,
    EmailChannelFactory,
    InboundEmailFactory,
    MessageFactory,
    ThreadFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")
PERIOD = Period(date(2026, 3, 28), date(2026, 3, 30), BERLIN, "custom")


def utc(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def thread_created(workspace: Workspace, at: datetime, **fields: object) -> Thread:
    thread = ThreadFactory(workspace=workspace, **fields)
    Thread.objects.filter(pk=thread.pk).update(created_at=at)  # auto_now_add otherwise
    thread.refresh_from_db()
    return thread


def message(thread: Thread, at: datetime, *, out: bool = False, by: Agent | None = None) -> None:
    MessageFactory(
        thread=thread,
        created_at=at,
        direction=Message.Direction.OUT if out else Message.Direction.IN,
        sent_by=by.user if by else None,
    )


def event(thread: Thread, kind: str, at: datetime, by: Agent | None = None, **data: object) -> None:
    thread_event_record(
        thread=thread, kind=kind, actor_id=by.user_id if by else None, at=at, data=data
    )


def rejected(workspace: Workspace | None, at: datetime, reason: str, **fields: object) -> None:
    row = InboundEmailFactory(
        workspace=workspace, status=InboundEmail.Status.REJECTED, reason_code=reason, **fields
    )
    InboundEmail.objects.filter(pk=row.pk).update(received_at=at)


@dataclass
class History:
    workspace: Workspace
    admin: Agent
    alice: Agent
    bob: Agent
    other_admin: Agent

    def scope(self, **filters: int | None) -> Scope:
        return Scope(workspace=self.workspace, period=PERIOD, **filters)


@pytest.fixture
def history(db: object) -> History:
    admin = AdminFactory(workspace__time_zone="Europe/Berlin", user__first_name="Ada")
    workspace = admin.workspace
    alice = AgentFactory(workspace=workspace, user__first_name="Alice")
    bob = AgentFactory(workspace=workspace, user__first_name="Bob")
    support = EmailChannelFactory(workspace=workspace, name="Support")
    sales = EmailChannelFactory(workspace=workspace, name="Sales")

    # Before the period: G stays open and assigned, H was closed long ago.
    g = thread_created(workspace, utc(20, 9), channel=support, assignee=alice.user)
    event(g, "assigned", utc(21, 9), admin, assignee_id=alice.user_id)
    h = thread_created(workspace, utc(20, 9), channel=support)
    event(h, "closed", utc(22, 9), alice)
    # K: assigned to Bob and closed before the period, reopened inside it: open and still
    # assigned from then on (its state at the start carries into the period).
    k = thread_created(workspace, utc(20, 10), channel=support)
    event(k, "assigned", utc(21, 10), admin, assignee_id=bob.user_id)
    event(k, "closed", utc(22, 10), bob)
    event(k, "reopened", utc(29, 12))

    # E (28th): a reply sent before it was created does not count; first reply 4 h after.
    # Closed, reopened, closed again on the 29th: one resolution, 32 h, on the 29th.
    e = thread_created(workspace, utc(28, 12), channel=sales)
    message(e, utc(28, 12))
    message(e, utc(28, 11), out=True, by=bob)
    message(e, utc(28, 16), out=True, by=bob)
    event(e, "closed", utc(28, 13), bob)
    event(e, "reopened", utc(28, 14))
    event(e, "closed", utc(29, 20), bob)

    # A: created 23:30Z on the 28th = 00:30 on the 29th in Berlin. Reply 1 h, closed after 4 h.
    a = thread_created(workspace, utc(28, 23, 30), channel=support)
    message(a, utc(28, 23, 30))
    message(a, utc(29, 0, 30), out=True, by=alice)
    event(a, "closed", utc(29, 3, 30), alice)

    # C (29th): reply 2 h; closed and reopened (unresolved); assigned then unassigned.
    c = thread_created(workspace, utc(29, 10), channel=support)
    message(c, utc(29, 12), out=True, by=alice)
    event(c, "assigned", utc(29, 11), admin, assignee_id=bob.user_id)
    event(c, "assigned", utc(29, 11, 30), admin, assignee_id=None)
    event(c, "closed", utc(29, 12), alice)
    event(c, "reopened", utc(29, 13))

    # D (29th): nobody replied; assigned to Bob, open.
    d = thread_created(workspace, utc(29, 14), channel=sales, assignee=bob.user)
    message(d, utc(29, 14))
    event(d, "assigned", utc(29, 15), admin, assignee_id=bob.user_id)

    # F (29th): reply 6 h (by Alice), closed 2 h after creation.
    f = thread_created(workspace, utc(29, 5), channel=support)
    message(f, utc(29, 11), out=True, by=alice)
    event(f, "closed", utc(29, 7), alice)

    # B: created 22:30Z on the 29th = 00:30 on the 30th (CEST). Reply 3 h.
    b = thread_created(workspace, utc(29, 22, 30), channel=sales)
    message(b, utc(30, 1, 30), out=True, by=bob)

    # Never counted: spam, a forwarding confirmation, another workspace.
    spam = thread_created(workspace, utc(29, 9), channel=support, is_spam=True)
    message(spam, utc(29, 10), out=True, by=alice)
    thread_created(workspace, utc(29, 9), confirmation=True, channel=support)
    other_admin = AdminFactory(workspace__time_zone="Europe/Berlin")
    other = thread_created(other_admin.workspace, utc(29, 9))
    message(other, utc(29, 9, 30), out=True, by=other_admin)
    event(other, "closed", utc(29, 10), other_admin)

    rejected(workspace, utc(29, 8), "spam", channel=support)
    rejected(workspace, utc(29, 9), "spam", channel=sales)
    rejected(workspace, utc(28, 23, 10), "blocked_sender", channel=support)  # the 29th in Berlin
    rejected(workspace, utc(27, 23, 10), "too_large")  # the 28th
    rejected(other_admin.workspace, utc(29, 8), "spam")
    InboundEmailFactory(workspace=workspace, status=InboundEmail.Status.ACCEPTED)
    return History(workspace, admin, alice, bob, other_admin)
