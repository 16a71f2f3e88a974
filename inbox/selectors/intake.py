"""Reads of the inbound ledger for the sweeper and the operator commands."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from inbox.models import InboundEmail


def pending_inbound_email_ids(*, now: datetime) -> list[int]:
    """Rows the pipeline has not finished: received ones, and processing ones left behind."""
    stuck_after = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    return list(
        InboundEmail.objects.filter(
            Q(status=InboundEmail.Status.RECEIVED)
            | Q(status=InboundEmail.Status.PROCESSING, processing_started_at__lte=now - stuck_after)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def is_forwarding_address(address: str) -> bool:
    """True when some channel (draft, connected or disconnected) owns this forwarding address."""
    from channels_cfg.models import ForwardingAddress

    return ForwardingAddress.objects.filter(address=address.strip().lower()).exists()
