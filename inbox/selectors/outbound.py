"""Reads of replies for the outbound sweeper."""

from __future__ import annotations

from datetime import datetime

from inbox.models import Message

# A sweep queues at most this many; the next sweep takes the rest.
SWEEP_BATCH = 500


def unclaimed_reply_ids(*, stored_before: datetime) -> list[int]:
    """Replies still "sending" that no task has claimed, stored before `stored_before`, oldest
    first (along the partial index of "sending" messages)."""
    return list(
        Message.objects.filter(
            delivery_status=Message.DeliveryStatus.SENDING,
            direction=Message.Direction.OUT,
            send_started_at__isnull=True,
            created_at__lte=stored_before,
        )
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
