"""Intake: store every delivery on the ledger before anyone is told "OK", then queue it.

Every path into the product (ESP webhooks, the SMTP listener, `deliver_eml`) ends in
`inbound_email_receive`. The worker side (`inbound_email_claim`, then the pipeline) moves the
row through processing to a final state; `inbound_email_requeue_stale` is the outbox sweeper that recovers rows whose queue
message was lost (Redis down, process killed between commit and on_commit; docs/reliability.md,
"Faults: database, broker, worker").
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Collection
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from helpdesk.broker import queue_task
from helpdesk.db import (
    binary_results,
    insert_row,
    instance_from_row,
    returning_list,
    write_bytes_column,
    writes_large_bytes_separately,
)
from helpdesk.redaction import redact_addresses
from inbox.models import InboundEmail, Message

logger = logging.getLogger(__name__)

TOO_LARGE_DETAIL = (
    "The message is {size_mb:.1f} MB; messages up to {limit_mb:.0f} MB are accepted. "
    "It is kept here but was not delivered to the inbox."
)
ERROR_DETAIL_MAX_CHARS = 2000


def max_mime_bytes() -> int:
    """The raw MIME size of a message at the product cap.

    The cap is on the message (INBOUND_MAX_MESSAGE_BYTES, 30 MB); base64 inflates attachments by 4/3
    and wraps lines at 76 characters (+2 for CRLF), so 30 MB of content is about 41 MB of MIME
    (docs/reliability.md, "Mail over the size cap"). One MB more leaves room for headers and text
    parts.
    """
    return int(settings.INBOUND_MAX_MESSAGE_BYTES * 4 / 3 * 78 / 76) + 1024 * 1024


def idempotency_key_for(*, envelope_recipient: str, sha256: str) -> str:
    """The same bytes delivered to the same address are one delivery, whichever way they came."""
    return hashlib.sha256(f"{envelope_recipient.lower()}\n{sha256}".encode()).hexdigest()


def inbound_email_receive(
    *,
    raw: bytes,
    esp: str,
    envelope_recipient: str,
    envelope_sender: str = "",
    esp_event_id: str = "",
    esp_verdicts: dict[str, Any] | None = None,
) -> InboundEmail:
    """Store one delivery (or find the one it repeats) and queue it for the pipeline on commit.

    A repeat (same ESP event id, or the same bytes to the same recipient) returns the stored row
    and queues nothing. A message above the cap is stored already rejected as `too_large`.
    """
    row = _ledger_row(
        raw=raw,
        esp=esp,
        envelope_recipient=envelope_recipient,
        envelope_sender=envelope_sender,
        esp_event_id=esp_event_id,
        esp_verdicts=esp_verdicts or {},
    )
    raw_written_separately = writes_large_bytes_separately(InboundEmail, len(raw))
    if raw_written_separately:
        row.raw = b""
    try:
        with transaction.atomic() if raw_written_separately else _atomic_if_nested():
            insert_row(row)
            if raw_written_separately:
                write_bytes_column(InboundEmail, pk=row.pk, field_name="raw", data=raw)
                row.raw = raw
            if row.status == InboundEmail.Status.RECEIVED:
                pk = row.pk
                transaction.on_commit(lambda: queue_processing(pk))
    except IntegrityError:
        # A repeat: the unique constraints on the idempotency key and on (esp, event id) let
        # exactly one copy in, even when an ESP retries while the first request still runs.
        # Inserting first and looking up only on conflict saves a query on every new delivery.
        existing = _find_repeat(
            esp=esp, esp_event_id=row.esp_event_id, idempotency_key=row.idempotency_key
        )
        if existing is None:
            raise
        logger.info("Inbound delivery #%s repeated by %s; nothing stored", existing.pk, esp)
        return existing
    logger.info("Inbound delivery #%s stored (%s, %d bytes)", row.pk, esp, row.size)
    return row


def _ledger_row(
    *,
    raw: bytes,
    esp: str,
    envelope_recipient: str,
    envelope_sender: str,
    esp_event_id: str,
    esp_verdicts: dict[str, Any],
) -> InboundEmail:
    sha256 = hashlib.sha256(raw).hexdigest()
    recipient = envelope_recipient.strip().lower()
    row = InboundEmail(
        esp=esp,
        esp_event_id=(esp_event_id or "")[:255],
        envelope_recipient=recipient[:320],
        envelope_sender=(envelope_sender or "")[:320],
        esp_verdicts=esp_verdicts,
        raw=raw,
        size=len(raw),
        sha256=sha256,
        idempotency_key=idempotency_key_for(envelope_recipient=recipient, sha256=sha256),
    )
    if len(raw) > max_mime_bytes():
        _mark_too_large(row)
    return row


def _atomic_if_nested() -> AbstractContextManager[object]:
    """A savepoint inside a caller's transaction; nothing otherwise.

    The one INSERT is atomic by itself in autocommit mode (and on_commit then runs right after
    it), which spares the webhook the BEGIN and COMMIT round trips. Inside a transaction the
    savepoint keeps a repeat's IntegrityError from aborting the caller's work.
    """
    if transaction.get_connection().in_atomic_block:
        return transaction.atomic()
    return nullcontext()


def _find_repeat(*, esp: str, esp_event_id: str, idempotency_key: str) -> InboundEmail | None:
    same = Q(idempotency_key=idempotency_key)
    if esp_event_id:
        same |= Q(esp=esp, esp_event_id=esp_event_id)
    return InboundEmail.objects.filter(same).defer("raw").order_by("pk").first()


def _mark_too_large(row: InboundEmail) -> None:
    row.status = InboundEmail.Status.REJECTED
    row.reason_code = "too_large"
    row.reason_detail = TOO_LARGE_DETAIL.format(
        size_mb=row.size / 1024 / 1024, limit_mb=settings.INBOUND_MAX_MESSAGE_BYTES / 1024 / 1024
    )
    row.processed_at = timezone.now()


def queue_processing(inbound_email_id: int) -> bool:
    """Hand a stored row to the workers; False when the broker is unreachable.

    The row is already committed as `received`, so a broker outage only delays it: the sweeper
    queues it again later (docs/reliability.md, "Broker down"). The webhook still answers 200.
    """
    from inbox.tasks import process_inbound

    return queue_task(
        process_inbound, inbound_email_id, description=f"inbound delivery #{inbound_email_id}"
    )


@dataclass(frozen=True)
class ClaimedInboundEmail:
    row: InboundEmail  # as claimed: `processing`, its attempts counted
    has_message: bool  # an earlier run already stored its message


def inbound_email_claim(*, inbound_email_id: int, now: datetime) -> ClaimedInboundEmail | None:
    """Claim a row for a pipeline run and read it, in one statement; None when it is already
    final (a repeated task) or gone.

    The claim commits on its own (one statement, outside the pipeline's transaction), so that a
    run that kills its worker (out of memory) still counts as an attempt (docs/reliability.md,
    "A worker killed mid-task").
    """
    connection = connections[router.db_for_write(InboundEmail)]
    processing, received = InboundEmail.Status.PROCESSING, InboundEmail.Status.RECEIVED
    with binary_results(connection.cursor()) as cursor:
        cursor.execute(
            _claim_sql(connection.alias, batch=False),
            [processing, now, inbound_email_id, received, processing],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    return ClaimedInboundEmail(
        instance_from_row(InboundEmail, found[:-1], connection), bool(found[-1])
    )


def inbound_email_claim_ready(*, limit: int, now: datetime) -> list[ClaimedInboundEmail]:
    """Claim up to `limit` rows waiting in `received`, oldest first, in one statement; rows
    another transaction holds are skipped (SKIP LOCKED), never waited for."""
    if limit < 1:
        return []
    connection = connections[router.db_for_write(InboundEmail)]
    processing, received = InboundEmail.Status.PROCESSING, InboundEmail.Status.RECEIVED
    with binary_results(connection.cursor()) as cursor:
        cursor.execute(_claim_sql(connection.alias, batch=True), [processing, now, received, limit])
        found = cursor.fetchall()
    claimed = [
        ClaimedInboundEmail(instance_from_row(InboundEmail, row[:-1], connection), bool(row[-1]))
        for row in found
    ]
    return sorted(claimed, key=lambda item: item.row.pk)


@functools.cache
def _claim_sql(alias: str, *, batch: bool) -> str:
    """UPDATE ... RETURNING the row and whether its message is stored: one row by id, or (batch)
    up to a number of waiting rows, skipping those another transaction holds."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    table, messages = quote(InboundEmail._meta.db_table), quote(Message._meta.db_table)
    if batch:
        skip_locked = (
            " FOR UPDATE SKIP LOCKED"
            if connection.features.has_select_for_update_skip_locked
            else ""
        )
        rows = (
            f"{quote('id')} IN (SELECT {quote('id')} FROM {table} "  # noqa: S608
            f"WHERE {quote('status')} = %s ORDER BY {quote('status')}, {quote('received_at')} "
            f"LIMIT %s{skip_locked})"
        )
    else:
        rows = f"{quote('id')} = %s AND {quote('status')} IN (%s, %s)"
    # PostgreSQL: the claim's own commit does not wait for its WAL flush (see
    # helpdesk.db.relax_commit_durability): a crash that loses it loses the pipeline's later
    # commit too, and the row is back in `received`, durable since intake, for the sweeper. A
    # killed worker loses nothing: the commit is visible at once, so the attempt still counts.
    relaxed = (
        " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed"
        if connection.vendor == "postgresql"
        else ""
    )
    return (
        # Identifiers come from the models, every value is a parameter.
        f"UPDATE {table} SET {quote('status')} = %s, "  # noqa: S608
        f"{quote('attempts')} = {quote('attempts')} + 1, {quote('processing_started_at')} = %s"
        f"{relaxed} WHERE {rows} "
        f"RETURNING {returning_list(InboundEmail, connection)}, EXISTS(SELECT 1 FROM {messages} m "
        f"WHERE m.{quote('inbound_id')} = {table}.{quote('id')})"
    )


def inbound_email_mark_accepted(*, inbound_email_id: int) -> None:
    """Put back `accepted` on a row whose message is already stored, which a repeated claim
    (a redelivered task, a second reprocess) marked `processing` again."""
    InboundEmail.objects.filter(pk=inbound_email_id).update(status=InboundEmail.Status.ACCEPTED)


def inbound_email_mark_failed(
    *, inbound_email_id: int, error: BaseException, now: datetime
) -> None:
    """Give up on a row after the last retry: it shows `failed` with the error until reprocessed."""
    detail = f"{type(error).__name__}: {error}"[:ERROR_DETAIL_MAX_CHARS]
    InboundEmail.objects.filter(
        pk=inbound_email_id,
        status__in=[InboundEmail.Status.RECEIVED, InboundEmail.Status.PROCESSING],
    ).update(
        status=InboundEmail.Status.FAILED,
        reason_code="processing_error",
        reason_detail=detail,
        processed_at=now,
    )
    # Database errors quote the values they refused; the row keeps them for the admin.
    logger.error("Inbound delivery #%s failed: %s", inbound_email_id, redact_addresses(detail))


def inbound_email_reprocess(
    *,
    inbound_email_id: int,
    skip_checks: Collection[str] = (),
    only_if_rejected: bool = False,
    queue: bool = True,
) -> InboundEmail | None:
    """Put a stored row back to `received`, skipping `skip_checks` from now on, and queue it on
    commit (a broker outage leaves it `received` for the sweeper). With `only_if_rejected`, a
    row no longer rejected (another admin was first) is left alone and None returned. `queue`
    is False for a caller that runs the pipeline itself."""
    with transaction.atomic():
        row = InboundEmail.objects.select_for_update().defer("raw").get(pk=inbound_email_id)
        if only_if_rejected and row.status != InboundEmail.Status.REJECTED:
            return None
        row.status = InboundEmail.Status.RECEIVED
        row.reason_code = ""
        row.reason_detail = ""
        row.attempts = 0
        row.processing_started_at = None
        row.processed_at = None
        if skip_checks:
            row.skip_checks = sorted({*row.skip_checks, *skip_checks})
        row.save(
            update_fields=[
                "status", "reason_code", "reason_detail", "attempts", "processing_started_at",
                "processed_at", "skip_checks",
            ]
        )  # fmt: skip
        if queue:
            transaction.on_commit(lambda: queue_processing(inbound_email_id))
    return row


def inbound_email_requeue_stale(*, now: datetime) -> int:
    """Queue again every row left in `received` or stuck in `processing`; returns how many.

    A row stuck in processing after the last attempt is marked failed instead, so a message that
    kills its worker (out of memory) cannot loop forever (docs/reliability.md, "A worker killed
    mid-task").
    """
    after = timedelta(seconds=settings.INBOUND_REQUEUE_AFTER_SECONDS)
    # A running task may legitimately hold a row up to the task time limit.
    stuck_after = max(after, timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60))
    stale = InboundEmail.objects.filter(
        Q(status=InboundEmail.Status.RECEIVED, received_at__lte=now - after)
        | Q(status=InboundEmail.Status.PROCESSING, processing_started_at__lte=now - stuck_after)
    )
    queued = 0
    for pk, attempts in stale.order_by("pk").values_list("pk", "attempts"):
        if attempts > settings.TASK_MAX_RETRIES:
            inbound_email_mark_failed(
                inbound_email_id=pk,
                error=RuntimeError(f"the worker stopped while processing it {attempts} times"),
                now=now,
            )
        elif queue_processing(pk):
            queued += 1
    return queued
