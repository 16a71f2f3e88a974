"""Reads of replies for the outbound sweeper."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from inbox.models import Message

# A sweep queues at most this many; the next sweep takes the rest.
SWEEP_BATCH = 500


def unclaimed_reply_ids(*, stored_before: datetime) -> list[int]:
    """Replies still "sending" that no task has claimed, due (stored, or past their undo grace
    period) before `stored_before`, oldest first (along the partial index of "sending" messages).
    A reply waiting out its grace period is never taken early."""
    return list(
        Message.objects.filter(
            delivery_status=Message.DeliveryStatus.SENDING,
            direction=Message.Direction.OUT,
            send_started_at__isnull=True,
            created_at__lte=stored_before,
        )
        .filter(Q(send_after__isnull=True) | Q(send_after__lte=stored_before))
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
