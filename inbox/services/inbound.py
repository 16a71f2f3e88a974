"""Writes of the inbound pipeline: applying a Decision, recording a refusal.

Called by `inbox.inbound.pipeline` inside its transaction (the ledger row is claimed there).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import connection, connections, router
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from channels_cfg.models import EmailChannel, ForwardingConfirmation
from helpdesk.db import (
    execute_deferred,
    insert_fields,
    insert_row,
    insert_values,
    update_row_or_raise,
)
from helpdesk.html_text import html_to_text
from helpdesk.mail_ids import LOOP_HEADER, loop_header_value
from helpdesk.models import Agent, Team
from helpdesk.system_mail import queue_system_email
from inbox.inbound.attribute import Attribution
from inbox.inbound.content import Content
from inbox.inbound.parse import ParsedAttachment, ParsedEmail
from inbox.inbound.sanitize import sanitize
from inbox.inbound.validate import Rejection
from inbox.models import Attachment, Contact, InboundEmail, Message, Thread, ThreadEvent, Ticket
from inbox.services.snooze import WOKE_REPLIED


def inbound_record_rejection(
    *,
    row: InboundEmail,
    rejection: Rejection,
    parsed: ParsedEmail,
    channel: EmailChannel | None,
    now: datetime,
) -> None:
    """Mark the ledger row rejected with its reason (the message itself stays stored)."""
    row.status = InboundEmail.Status.REJECTED
    row.reason_code, row.reason_detail = rejection.code, rejection.sentence
    _fill_row(row, parsed, channel, now)


def inbound_record_outcome(
    *,
    row: InboundEmail,
    status: str,
    detail: str,
    parsed: ParsedEmail,
    channel: EmailChannel,
    now: datetime,
) -> None:
    row.status, row.reason_code, row.reason_detail = status, "", detail
    if status == InboundEmail.Status.DUPLICATE:
        row.reason_code = "duplicate"
    _fill_row(row, parsed, channel, now)


class ClaimLost(Exception):
    """The ledger row was claimed again (a redelivered task) or given up on (the sweeper) while
    this run worked on it: the caller rolls back and leaves the row to its new owner."""


def ledger_summary(parsed: ParsedEmail) -> tuple[str, str]:
    """What the ledger row shows of its mail: the From header and the subject."""
    return (parsed.header("from") or parsed.from_email)[:998], parsed.subject[:998]


def _fill_row(
    row: InboundEmail, parsed: ParsedEmail, channel: EmailChannel | None, now: datetime
) -> None:
    row.from_header, row.subject = ledger_summary(parsed)
    row.processed_at = now
    if channel is not None:
        row.channel, row.workspace_id = channel, channel.workspace_id
    # Written only if still ours: the claim that started this run is the one on the row. The
    # statement checks it itself, so a lost claim rolls back the run even when its COMMIT was sent
    # along (inbox.inbound.pipeline).
    update_row_or_raise(
        InboundEmail,
        pk=row.pk,
        where={"status": InboundEmail.Status.PROCESSING, "attempts": row.attempts},
        values={
            "status": row.status, "reason_code": row.reason_code,
            "reason_detail": row.reason_detail, "from_header": row.from_header,
            "subject": row.subject, "processed_at": now, "channel": row.channel_id,
            "workspace": row.workspace_id,
        },
        error=ClaimLost(f"Inbound delivery #{row.pk} was claimed again while processed"),
    )  # fmt: skip


def contact_for_sender(
    *, workspace_id: int, email: str, name: str, known: Contact | None
) -> Contact | None:
    """The sender's contact: `known` (read with the channel) when it is theirs and needs nothing
    filled in, else upserted (one statement)."""
    if known is not None and known_contact_serves(known, email=email, name=name):
        return known
    return contact_upsert(workspace_id=workspace_id, email=email, name=name)


def known_contact_serves(known: Contact, *, email: str, name: str) -> bool:
    """Whether the contact read with the channel is this sender's and needs nothing filled in
    (else `contact_upsert` writes it)."""
    return (
        bool(email) and known.email.lower() == email.lower()[:320] and bool(known.name or not name)
    )


def contact_upsert(*, workspace_id: int, email: str, name: str) -> Contact | None:
    """The workspace's contact for this address (created if new; its name filled when unknown).

    One statement in the common cases, and safe against workers creating the same contact at
    once: the insert yields to the unique (lower(email), workspace) index.
    """
    if not email:
        return None
    email, name = email.lower()[:320], name[:255]
    upserted = _contact_upsert_row(workspace_id, email, name)
    if upserted is not None:
        return Contact(pk=upserted[0], workspace_id=workspace_id, email=email, name=upserted[1])
    return (  # it exists and already has a name (or we have none to give it)
        Contact.objects.annotate(lower_email=Lower("email"))
        .filter(workspace_id=workspace_id, lower_email=email)
        .first()
    )


def _contact_upsert_row(workspace_id: int, email: str, name: str) -> tuple[int, str] | None:
    # PostgreSQL and SQLite (>= 3.35) both take an expression index as the conflict target and
    # RETURNING; the row comes back when inserted or when its empty name was filled.
    table = Contact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS existing (workspace_id, email, name, created_at) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (lower(email), workspace_id) DO UPDATE "
            "SET name = excluded.name WHERE existing.name = '' AND excluded.name <> '' "
            "RETURNING id, name",
            [workspace_id, email, name, timezone.now()],
        )
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else None


def message_store(*, message: Message, parsed: ParsedEmail) -> Message:
    """Store the inbound message (`message_for`) and its attachments in Django storage."""
    if not parsed.attachments:
        # Nothing reads its key before the pipeline settles.
        insert_row(message, deferred=True)
        return message
    _index_with_attachment_names(parsed.attachments)
    attachments = _saved_attachments(message, parsed.attachments)
    connection = connections[router.db_for_write(Message)]
    if writes_attachments_at_once(len(attachments)):
        # The attachments' rows go in with the message, by its statement: its key is not
        # needed before the pipeline settles.
        fields, sql = _message_with_attachments_sql(connection.alias, len(attachments))
        params = insert_values(message, fields, connection)
        for attachment in attachments:
            params += insert_values(attachment, _attachment_fields(), connection)

        def settled(cursor: Any) -> None:
            found = cursor.fetchone()
            assert found is not None
            message.pk = found[0]

        message._state.adding, message._state.db = False, connection.alias
        execute_deferred(connection, sql, params, then=settled)
    else:
        insert_row(message)  # the attachments' rows need its key now
        Attachment.objects.bulk_create(attachments)
    _attachments_indexed()
    return message


# A message's attachments are written by the message's own statement (PostgreSQL), up to this
# many, so that its parameters stay bounded; a message with more writes them after it.
ATTACHMENTS_AT_ONCE = 20


def writes_attachments_at_once(count: int) -> bool:
    """Whether a message with `count` attachments is written with them in one statement."""
    vendor = connections[router.db_for_write(Message)].vendor
    return vendor == "postgresql" and count <= ATTACHMENTS_AT_ONCE


@functools.cache
def _attachment_fields() -> list[Any]:
    return [field for field in insert_fields(Attachment) if field.name != "message"]


def _attachments_cte(alias: str, count: int, message: str) -> str:
    """`a AS (INSERT ... the attachments' rows, of the message whose key `message` selects)`."""
    quote = connections[alias].ops.quote_name
    fields = _attachment_fields()
    columns = ", ".join(quote(str(field.column)) for field in fields)
    row = f"(({message}), {', '.join(['%s'] * len(fields))})"
    foreign_key = quote(str(Attachment._meta.get_field("message").column))
    # Identifiers come from the models, every value is a parameter.
    return (
        f"a AS (INSERT INTO {quote(Attachment._meta.db_table)} ({foreign_key}, {columns}) "  # noqa: S608
        f"VALUES {', '.join([row] * count)})"
    )


@functools.cache
def _message_with_attachments_sql(alias: str, count: int) -> tuple[list[Any], str]:
    quote = connections[alias].ops.quote_name
    fields = insert_fields(Message)
    columns = ", ".join(quote(str(field.column)) for field in fields)
    return fields, (
        # Identifiers come from the models, every value is a parameter.
        f"WITH m AS (INSERT INTO {quote(Message._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote('id')} AS id), "
        f"{_attachments_cte(alias, count, 'SELECT id FROM m')} SELECT id FROM m"
    )


def message_for(
    *,
    row: InboundEmail,
    thread: Thread,
    parsed: ParsedEmail,
    attribution: Attribution,
    content: Content,
    is_auto_reply: bool,
    is_bounce: bool,
    bounce_of: Message | None,
    now: datetime,
) -> Message:
    """The inbound message's row, its HTML sanitized, not yet stored."""
    html = sanitize(content.html)
    return Message(
        workspace_id=thread.workspace_id,
        thread=thread,
        direction=Message.Direction.IN,
        message_id=parsed.message_id,
        in_reply_to=" ".join(parsed.in_reply_to)[:998],
        references=" ".join(parsed.references),
        from_email=attribution.from_email[:320],
        from_name=attribution.from_name[:255],
        forwarded_by=attribution.forwarded_by[:320],
        attributed_via=attribution.via,
        attribution_rule=attribution.rule[:100],
        sender_warnings=list(attribution.warnings),
        forwarder_note=attribution.forwarder_note[:100_000],
        to=parsed.to,
        cc=parsed.cc,
        subject=content.subject,
        # HTML-only mail keeps its text too: full-text search indexes `text` (inbox/search_schema.py).
        text=content.text or html_to_text(html),
        html=html,
        is_auto_reply=is_auto_reply,
        is_bounce=is_bounce,
        bounce_of=bounce_of,
        content_digest=content.digest,
        inbound=row,
        created_at=now,
    )


def _index_with_attachment_names(parts: Sequence[ParsedAttachment]) -> None:
    """PostgreSQL: the message about to be inserted is indexed for search with its attachments'
    names at once, and their INSERT leaves it alone (inbox/search_schema.py, migration 0046),
    instead of one UPDATE of the message per attachment. For this transaction only."""
    connection = connections[router.db_for_write(Message)]
    if connection.vendor != "postgresql":
        return
    names = " ".join(part.filename for part in parts if part.filename)
    execute_deferred(
        connection, "SELECT set_config('inbox.new_message_files', %s, true)", [names or " "]
    )


def _attachments_indexed() -> None:
    """PostgreSQL: attachments added later, in this transaction or another, touch their message
    again (`_index_with_attachment_names` spared the message's own)."""
    connection = connections[router.db_for_write(Message)]
    if connection.vendor == "postgresql":
        execute_deferred(
            connection, "SELECT set_config('inbox.files_indexed_message', '', true)", []
        )


def _saved_attachments(message: Message, parts: Sequence[ParsedAttachment]) -> list[Attachment]:
    """The message's attachments with their files saved in Django storage, rows not yet
    written (a file's name does not depend on the message's key). cid: references stay in the
    stored HTML: the thread page embeds those images from these attachments (inbox.rendering),
    the only way a sandboxed message frame can show them."""
    attachments = []
    for part in parts:
        attachment = Attachment(
            message=message,
            filename=part.filename,
            content_type=part.content_type,
            size=len(part.payload),
            content_id=part.content_id,
            is_inline=part.is_inline,
        )
        attachment.file.save(part.filename, ContentFile(part.payload), save=False)
        attachments.append(attachment)
    return attachments


def thread_create(
    *,
    channel: EmailChannel,
    contact: Contact | None,
    subject: str,
    snippet: str,
    kind: str = Thread.Kind.CONVERSATION,
    forwarding_confirmation: ForwardingConfirmation | None = None,
    assignee_id: int | None = None,
    rotate_assignee: bool = False,
    now: datetime,
) -> Thread:
    """A new thread; `rotate_assignee`: assigned to the next agent of the channel's round robin
    (`assignee_id` None when nobody is available)."""
    thread = _new_thread(channel, contact, subject, snippet, assignee_id, now)
    thread.kind, thread.forwarding_confirmation = kind, forwarding_confirmation
    if rotate_assignee:
        _insert_assigned_round_robin(thread, channel)
    else:
        insert_row(thread)
    return thread


def _new_thread(
    channel: EmailChannel,
    contact: Contact | None,
    subject: str,
    snippet: str,
    assignee_id: int | None,
    now: datetime,
) -> Thread:
    """A conversation's thread with its first message counted, not yet stored."""
    return Thread(
        workspace_id=channel.workspace_id, channel=channel, contact=contact,
        subject=subject[:998], snippet=snippet[:200], assignee_id=assignee_id,
        last_message_at=now, message_count=1,
    )  # fmt: skip


def _insert_assigned_round_robin(thread: Thread, channel: EmailChannel) -> None:
    """Advance the channel's round robin and insert the thread with the agent it chose. On
    PostgreSQL one statement (the rotation's UPDATE in a WITH clause of the INSERT): one round
    trip fewer on every new conversation (`make bench`)."""
    connection = connections[router.db_for_write(Thread)]
    if connection.vendor != "postgresql":  # SQLite: no UPDATE inside WITH
        thread.assignee_id = _rotation_advance(channel)
        insert_row(thread)
        return
    fields, sql = _assigned_insert_sql(connection.alias)
    values = insert_values(thread, fields, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*_rotation_params(channel), *values])
        row = cursor.fetchone()
    assert row is not None
    thread.pk, thread.assignee_id = row
    thread._state.adding = False
    thread._state.db = connection.alias


@functools.cache
def _assigned_insert_sql(alias: str) -> tuple[list[Any], str]:
    quote = connections[alias].ops.quote_name
    assignee = Thread._meta.get_field("assignee")
    fields = [field for field in insert_fields(Thread) if field is not assignee]
    columns = ", ".join(quote(str(field.column)) for field in [*fields, assignee])
    placeholders = ", ".join(["%s"] * len(fields))
    return fields, (
        # Identifiers come from the models, every value is a parameter.
        f"{_rotation_sql(alias, returning_as='chosen')} "  # noqa: S608
        f"INSERT INTO {quote(Thread._meta.db_table)} ({columns}) "
        f"VALUES ({placeholders}, (SELECT chosen FROM rotated)) "
        f"RETURNING {quote('id')}, {quote(str(assignee.column))}"
    )


def opens_conversations_at_once() -> bool:
    """Whether `conversation_open` writes a new conversation in one statement here (PostgreSQL:
    data-modifying WITH clauses); elsewhere the pipeline writes it one row at a time."""
    return connections[router.db_for_write(Thread)].vendor == "postgresql"


def conversation_open(
    *,
    channel: EmailChannel,
    contact: Contact | None,
    subject: str,
    snippet: str,
    rotate: bool,
    owner_id: int | None,
    make_ticket: bool,
    message: Callable[[Thread], Message],
    now: datetime,
    opened: Callable[[Thread], None],
    attachments: Sequence[ParsedAttachment] = (),
) -> Thread:
    """A new conversation in one statement (`opens_conversations_at_once`): the thread with its
    assignee (the channel's next agent in turn when `rotate`, chosen inside the statement, else
    `owner_id`), the rule's assignment event when there is an assignee, the ticket (`make_ticket`,
    owned by the assignee) and the first message, `message(thread)`, with its `attachments`
    (their files saved first; at most ATTACHMENTS_AT_ONCE).

    Sent without waiting for its answer inside `pipelined`: the thread's key and assignee and the
    message's key are set when the pipeline settles (with the pipeline's COMMIT, or before it
    inside a caller's transaction), and `opened(thread)` runs then. Against writing the rows one
    by one: three statements and a round trip fewer per new conversation (`make bench`, README
    "Capacity").
    """
    connection = connections[router.db_for_write(Thread)]
    thread = _new_thread(channel, contact, subject, snippet, None if rotate else owner_id, now)
    first = message(thread)
    ticket = ticket_for(thread=thread, channel=channel, subject=subject) if make_ticket else None
    if attachments:
        _index_with_attachment_names(attachments)
    saved = _saved_attachments(first, attachments)
    shape = _conversation_shape(connection.alias, rotate, make_ticket, len(saved))
    event_values = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(
            shape.event_fields, (channel.workspace_id, ThreadEvent.Kind.ASSIGNED, now), strict=True
        )
    ]
    params = [
        *(_rotation_params(channel) if rotate else []),
        *insert_values(thread, shape.thread_fields, connection),
        *([] if rotate else [owner_id]),
        *event_values,
        *(insert_values(ticket, shape.ticket_fields, connection) if ticket else []),
        *insert_values(first, shape.message_fields, connection),
    ]
    for attachment in saved:
        params += insert_values(attachment, _attachment_fields(), connection)

    def settled(cursor: Any) -> None:
        found = cursor.fetchone()
        assert found is not None
        thread.pk, thread.assignee_id, first.pk = found
        first.thread = thread
        for instance in (thread, first):
            instance._state.adding = False
            instance._state.db = connection.alias
        opened(thread)

    execute_deferred(connection, shape.sql, params, then=settled)
    if attachments:
        _attachments_indexed()
    return thread


@dataclass(frozen=True)
class _ConversationShape:
    sql: str
    thread_fields: list[Any]  # in the order of their parameters
    event_fields: list[Any]  # workspace, kind, at
    ticket_fields: list[Any]
    message_fields: list[Any]


@functools.cache
def _conversation_shape(
    alias: str, rotate: bool, make_ticket: bool, attachments: int = 0
) -> _ConversationShape:
    """`conversation_open`'s statement for one shape, built once from the models: a column added
    to a model is written here as in `insert_row` (a new ThreadEvent column fails loudly)."""
    connection = connections[alias]
    quote = connection.ops.quote_name

    def columns(fields: list[Any]) -> str:
        return ", ".join(quote(str(field.column)) for field in fields)

    def table(model: type[Any]) -> str:
        return quote(model._meta.db_table)

    assignee = Thread._meta.get_field("assignee")
    thread_fields = [field for field in insert_fields(Thread) if field is not assignee]
    ticket_fields = [f for f in insert_fields(Ticket) if f.name not in {"thread", "owner"}]
    message_fields = [field for field in insert_fields(Message) if field.name != "thread"]
    event_names = ["thread", "workspace", "kind", "actor", "at", "data"]
    if sorted(field.name for field in insert_fields(ThreadEvent)) != sorted(event_names):
        raise ImproperlyConfigured("ThreadEvent's columns changed: update _conversation_shape")
    event = {name: ThreadEvent._meta.get_field(name) for name in event_names}
    event_fields = [event["workspace"], event["kind"], event["at"]]
    ticket_thread, ticket_owner = Ticket._meta.get_field("thread"), Ticket._meta.get_field("owner")
    message_thread = Message._meta.get_field("thread")

    def placeholders(fields: list[Any]) -> str:
        return ", ".join(["%s"] * len(fields))

    def cast(field: Any) -> str:  # a parameter in a SELECT list has no column to take a type from
        return f"CAST(%s AS {field.cast_db_type(connection)})"

    head = f"{_rotation_sql(alias, returning_as='chosen')}, " if rotate else "WITH "
    chosen = "(SELECT chosen FROM rotated)" if rotate else "%s"
    rule = (
        "jsonb_build_object('assignee_id', t.assignee, 'team_id', NULL, "
        "'from_assignee_id', NULL, 'from_team_id', NULL, 'by', 'rule')"
    )
    # Identifiers come from the models, every value is a parameter.
    thread_cte = (
        f"t AS (INSERT INTO {table(Thread)} ({columns([*thread_fields, assignee])}) "  # noqa: S608
        f"VALUES ({placeholders(thread_fields)}, {chosen}) "
        f"RETURNING {quote('id')} AS id, {quote(str(assignee.column))} AS assignee)"
    )
    event_cte = (
        f"e AS (INSERT INTO {table(ThreadEvent)} ({columns(list(event.values()))}) "  # noqa: S608
        f"SELECT t.id, {cast(event_fields[0])}, {cast(event_fields[1])}, NULL, "
        f"{cast(event_fields[2])}, {rule} FROM t WHERE t.assignee IS NOT NULL)"
    )
    ticket_cte = (
        f"k AS (INSERT INTO {table(Ticket)} ({columns([ticket_thread, ticket_owner])}, "  # noqa: S608
        f"{columns(ticket_fields)}) VALUES ((SELECT id FROM t), (SELECT assignee FROM t), "
        f"{placeholders(ticket_fields)}))"
    )
    message_cte = (
        f"m AS (INSERT INTO {table(Message)} ({columns([message_thread, *message_fields])}) "  # noqa: S608
        f"VALUES ((SELECT id FROM t), {placeholders(message_fields)}) "
        f"RETURNING {quote('id')} AS id)"
    )
    ctes = [thread_cte, event_cte, *([ticket_cte] if make_ticket else []), message_cte]
    if attachments:
        ctes.append(_attachments_cte(alias, attachments, "SELECT id FROM m"))
    sql = head + ", ".join(ctes) + " SELECT t.id, t.assignee, m.id FROM t, m"  # noqa: S608
    return _ConversationShape(sql, thread_fields, event_fields, ticket_fields, message_fields)


@dataclass(frozen=True)
class TouchedThread:
    thread: Thread
    woke: bool  # the contact's message ended the thread's snooze
    ticket_status: str | None  # the ticket's status before this message (None: no ticket)


def thread_touch(
    *,
    thread_id: int,
    workspace_id: int,
    reopen: bool,
    snippet: str,
    now: datetime,
    contact_wrote: bool = False,
) -> TouchedThread:
    """A new message arrived on the thread: count it, move it up, reopen it if asked.

    One UPDATE: the counter is incremented in the database, so concurrent workers need no lock
    and no read first. When the contact wrote (not an auto-reply or a bounce) the same UPDATE
    ends a snooze and returns what status-follows needs (inbox.services.ticket_status), so
    the reply path reads nothing more."""
    connection = connections[router.db_for_write(Thread)]
    at = Thread._meta.get_field("last_message_at").get_db_prep_value(now, connection)
    params: list[Any] = [at, at, snippet[:200]]
    if reopen:
        params.append(Thread.Status.OPEN)
    if contact_wrote:
        params.append(WOKE_REPLIED)
    sql = _touch_sql(connection.alias, reopen, contact_wrote)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, thread_id, workspace_id])
        row = cursor.fetchone()
    if row is None:
        raise Thread.DoesNotExist(f"Thread #{thread_id} is gone")
    thread = Thread(pk=thread_id, workspace_id=workspace_id)
    if not contact_wrote:
        return TouchedThread(thread, woke=False, ticket_status=None)
    return TouchedThread(thread, woke=row[1] == WOKE_REPLIED, ticket_status=row[2])


@functools.cache
def _touch_sql(alias: str, reopen: bool, contact_wrote: bool = False) -> str:
    quote = connections[alias].ops.quote_name
    count, last = quote("message_count"), quote("last_message_at")
    table, until, woke = quote(Thread._meta.db_table), quote("snoozed_until"), quote("woke_reason")
    returning = f" RETURNING {quote('id')}"
    if contact_wrote:
        # SET reads the row as it was: woke_reason says whether this message ended a snooze
        # (and the banner of an earlier wake-up gives way to the new message).
        returning += (
            f", {woke}, (SELECT {quote('status')} FROM {quote(Ticket._meta.db_table)} "  # noqa: S608
            f"WHERE {quote('thread_id')} = {table}.{quote('id')})"
        )
    return (
        # Identifiers come from the models, every value is a parameter.
        f"UPDATE {table} SET {count} = {count} + 1, "  # noqa: S608
        f"{last} = CASE WHEN {last} > %s THEN {last} ELSE %s END, {quote('snippet')} = %s"
        + (f", {quote('status')} = %s" if reopen else "")
        + (
            f", {woke} = CASE WHEN {until} IS NULL THEN '' ELSE %s END, {until} = NULL"
            if contact_wrote
            else ""
        )
        + f" WHERE {quote('id')} = %s AND {quote('workspace_id')} = %s"
        + returning
    )


def ticket_create_for(*, thread: Thread, channel: EmailChannel, subject: str) -> Ticket:
    """A ticket named by the subject, with the channel's default properties."""
    ticket = ticket_for(thread=thread, channel=channel, subject=subject)
    insert_row(ticket, deferred=True)  # nothing reads its key before the caller commits
    return ticket


def ticket_for(*, thread: Thread, channel: EmailChannel, subject: str) -> Ticket:
    """The thread's ticket, not yet stored: named by the subject, with the channel's defaults,
    owned by the thread's assignee."""
    return Ticket(
        thread=thread,
        name=(subject or "(no subject)")[:998],
        pipeline=channel.ticket_pipeline,
        status=channel.ticket_status,
        priority=channel.ticket_priority,
        category=channel.ticket_category,
        owner_id=thread.assignee_id,
    )


@dataclass(frozen=True)
class NewThreadAssignee:
    user_id: int
    away_email: str = ""  # a contact owner who is away is mailed the start of the message


def assigns_round_robin(channel: EmailChannel) -> bool:
    """The channel's rule hands new threads out in turn (`thread_create(rotate_assignee=True)`)
    rather than to the contact's owner (`contact_owner_assignee`)."""
    return channel.assign_mode != EmailChannel.AssignMode.CONTACT_OWNER


def contact_owner_assignee(
    *, channel: EmailChannel, contact: Contact | None
) -> NewThreadAssignee | None:
    """The contact's owner, when they are an active agent of the workspace (with their address
    when they are away: they are mailed the start of the message)."""
    return _contact_owner(channel, contact)


def _rotation_advance(channel: EmailChannel) -> int | None:
    """Round robin in one statement: the first available agent (by user id) after the one last
    served, wrapping around, among the channel's users and its teams' members; the cursor on the
    channel row moves to them. The UPDATE's row lock orders concurrent workers, and PostgreSQL
    re-reads the cursor after waiting for it, so rotation stays fair across workers."""
    connection = connections[router.db_for_write(EmailChannel)]
    sql = _rotation_sql(connection.alias)
    with connection.cursor() as cursor:
        cursor.execute(sql, _rotation_params(channel))
        found = cursor.fetchone()
    return int(found[0]) if found else None


def _rotation_params(channel: EmailChannel) -> list[Any]:
    available = Agent.Availability.AVAILABLE
    return [channel.workspace_id, available, channel.pk, channel.pk, channel.pk]


@functools.cache
def _rotation_sql(alias: str, returning_as: str = "") -> str:
    """The rotation's UPDATE ... RETURNING the chosen user id; `returning_as`: as a WITH clause
    (`rotated`) whose column has that name, for a statement to follow."""
    quote = connections[alias].ops.quote_name
    users = EmailChannel.assign_users.through
    teams = EmailChannel.assign_teams.through
    members = Team.members.through
    channel_table = quote(EmailChannel._meta.db_table)
    cursor_column = quote("round_robin_last_user_id")
    return (
        # Identifiers come from the models, every value is a parameter.
        f"WITH eligible AS (SELECT a.{quote('user_id')} AS id "  # noqa: S608
        f"FROM {quote(Agent._meta.db_table)} a "
        f"JOIN {quote(get_user_model()._meta.db_table)} u ON u.{quote('id')} = a.{quote('user_id')} "
        f"WHERE a.{quote('workspace_id')} = %s AND a.{quote('availability')} = %s "
        f"AND u.{quote('is_active')} AND (a.{quote('user_id')} IN "
        f"(SELECT {quote('user_id')} FROM {quote(users._meta.db_table)} "
        f"WHERE {quote('emailchannel_id')} = %s) OR a.{quote('user_id')} IN "
        f"(SELECT m.{quote('user_id')} FROM {quote(members._meta.db_table)} m "
        f"JOIN {quote(teams._meta.db_table)} t ON t.{quote('team_id')} = m.{quote('team_id')} "
        f"WHERE t.{quote('emailchannel_id')} = %s))) "
        + (", rotated AS (" if returning_as else "")
        + f"UPDATE {channel_table} SET {cursor_column} = COALESCE("  # noqa: S608
        f"(SELECT MIN(id) FROM eligible WHERE id > {channel_table}.{cursor_column}), "
        f"(SELECT MIN(id) FROM eligible)) "
        f"WHERE {quote('id')} = %s AND EXISTS (SELECT 1 FROM eligible) RETURNING {cursor_column}"
        + (f" AS {returning_as})" if returning_as else "")
    )


def _contact_owner(channel: EmailChannel, contact: Contact | None) -> NewThreadAssignee | None:
    if contact is None or contact.owner_id is None:
        return None
    agent = (
        Agent.objects.select_related("user")
        .filter(workspace_id=channel.workspace_id, user_id=contact.owner_id, user__is_active=True)
        .first()
    )
    if agent is None:
        return None
    away = agent.availability == Agent.Availability.AWAY
    return NewThreadAssignee(agent.user_id, agent.user.email if away else "")


def away_owner_notify(
    *, thread: Thread, channel: EmailChannel, contact: Contact | None, to: str, preview: str
) -> None:
    """Mail an away contact owner that a new conversation of theirs arrived (sent after commit)."""
    email = EmailMessage(
        subject=f"New conversation while you are away: {thread.subject or '(no subject)'}"[:200],
        body=away_notice_body(
            sender=str(contact),
            channel_name=channel.company_name or channel.name,
            subject=thread.subject,
            preview=preview,
            url=settings.SITE_URL + reverse("inbox:thread", args=[thread.pk]),
        ),
        to=[to],
        headers={LOOP_HEADER: loop_header_value(), "Auto-Submitted": "auto-generated"},
    )
    queue_system_email(email)


PREVIEW_LINES = 8
PREVIEW_CHARS = 600


def away_notice_body(
    *, sender: str, channel_name: str, subject: str, preview: str, url: str
) -> str:
    """What an away owner reads without opening the inbox: who wrote, about what, how it starts."""
    lines: list[str] = []
    for line in preview.strip().splitlines():
        line = line.rstrip()
        if line or (lines and lines[-1]):  # no runs of blank lines
            lines.append(line)
        if len([kept for kept in lines if kept]) >= PREVIEW_LINES:
            break
    start = "\n".join(lines).strip()
    if len(start) > PREVIEW_CHARS:
        start = start[:PREVIEW_CHARS].rstrip() + "…"
    quoted = "\n".join(f"> {line}" if line else ">" for line in start.splitlines())
    return (
        f"{sender} wrote to {channel_name}. The conversation is assigned to you as the "
        "contact's owner, and you are away.\n\n"
        f"From: {sender}\nSubject: {subject or '(no subject)'}\n\n"
        f"{quoted or '> (no text)'}\n\n"
        f"Open the conversation:\n{url}\n"
    )


def outbound_mark_bounced(*, message: Message, detail: str) -> None:
    Message.objects.filter(pk=message.pk).update(
        delivery_status=Message.DeliveryStatus.FAILED, delivery_error=detail[:2000]
    )
