"""Reads for the bell, the notifications page and the notification settings."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max

from inbox.models import Notification, NotificationPreference

# The bell shows "99+" past this; counting stops there, so the poll stays one short index scan.
UNREAD_CAP = 100
PAGE_SIZE = 20


@dataclass(frozen=True)
class Unread:
    count: int
    newest_id: int

    @property
    def stamp(self) -> str:
        """Changes when a notification arrives or is read: the poll's "nothing changed" test."""
        return f"{self.count}.{self.newest_id}"

    @property
    def label(self) -> str:
        return "99+" if self.count >= UNREAD_CAP else str(self.count)


def notification_unread(*, user_id: int) -> Unread:
    """How many bell notifications the agent has not read (capped), and the newest one's id.

    One query on the partial index notification_unread."""
    unread = (
        Notification.objects.filter(recipient_id=user_id, read_at__isnull=True, in_app=True)
        .order_by("-id")
        .values("id")[:UNREAD_CAP]
    )
    row = Notification.objects.filter(id__in=unread).aggregate(count=Count("id"), newest=Max("id"))
    return Unread(count=row["count"] or 0, newest_id=row["newest"] or 0)


@dataclass(frozen=True)
class NotificationPage:
    notifications: list[Notification]
    next_before: int | None


def notification_list(*, user_id: int, before: int | None = None) -> NotificationPage:
    """The agent's bell notifications, newest first, PAGE_SIZE at a time (keyset on id)."""
    queryset = Notification.objects.filter(recipient_id=user_id, in_app=True)
    if before:
        queryset = queryset.filter(id__lt=before)
    rows = list(queryset.select_related("thread", "actor").order_by("-id")[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return NotificationPage(notifications=rows, next_before=rows[-1].pk if more else None)


def notification_preferences_get(*, user_id: int) -> dict[str, tuple[bool, bool]]:
    """Every kind with the agent's (in-app, email) choice; the defaults where none was saved."""
    saved = {
        row.kind: (row.in_app, row.email)
        for row in NotificationPreference.objects.filter(user_id=user_id)
    }
    return {kind: saved.get(kind, (True, True)) for kind in Notification.Kind.values}
