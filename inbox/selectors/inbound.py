"""Reads the inbound pipeline needs: the channel of a forwarding address, blocked senders,
the people whose forwards we believe, and the threads a message refers to."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.functions import Lower

from channels_cfg.models import EmailChannel, ForwardingAddress, ForwardingConfirmation
from helpdesk.db import binary_results, instance_from_row, read_ahead, select_list
from helpdesk.mail_ids import thread_id_from_message_id
from helpdesk.mail_providers import is_shared_mailbox_domain
from helpdesk.models import Workspace
from inbox.models import BlockedSender, Contact, Message, Thread


@dataclass(frozen=True)
class ChannelForDelivery:
    """The channel a delivery is addressed to, and what its workspace knows about the mail."""

    channel: EmailChannel  # with its workspace and forwarding address loaded
    blocked_rule: str | None  # the blocked-list entry matching the sender, lower case
    is_duplicate: bool  # a message with this Message-ID and content digest is stored there
    sender_contact: Contact | None = None  # the workspace's contact for the sender, if known


def channel_get_for_forwarding_address(
    address: str, sender: str = "", message_id: str = "", digest: str = ""
) -> ChannelForDelivery | None:
    """The channel whose forwarding address is `address` (the envelope recipient), any status,
    with the blocked-list entry matching `sender` in its workspace, whether a message with this
    Message-ID and content digest is stored there, and the sender's contact there.

    `workspace_id + 0` keeps the planner on the (Message-ID, workspace) index: without statistics
    (a new database, before autovacuum's first ANALYZE) it took another index that starts with
    the workspace and scanned all of its mail, which its cached generic plan then kept doing.

    Every delivery runs this first, so it is one query, written in SQL: the ORM took 3.3 ms to
    build it against 0.2 ms to run it (`make bench`). Most mail comes from people who wrote
    before: knowing their contact here spares the pipeline a statement per message.
    """
    connection = connections[router.db_for_read(EmailChannel)]
    sql, params = delivery_statement(connection.alias, address, sender, message_id, digest)
    # Binary: these wide rows' timestamps and numbers decode in C, not from text in Python.
    with binary_results(connection.cursor()) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else delivery_from_row(row, connection)


def delivery_statement(
    alias: str, address: str, sender: str = "", message_id: str = "", digest: str = ""
) -> tuple[str, list[Any]]:
    """The lookup of `channel_get_for_forwarding_address` as SQL and its parameters."""
    candidates = sorted(sender_candidates((sender,))) if sender else []
    duplicate_check = [message_id, digest] if message_id else []
    sql = _lookup_sql(alias, len(candidates), bool(message_id))
    return sql, [*candidates, *duplicate_check, sender.strip().lower(), address.strip().lower()]


def delivery_from_row(row: Sequence[Any], connection: BaseDatabaseWrapper) -> ChannelForDelivery:
    """The lookup's row as the channel (with its workspace and forwarding address) and what its
    workspace knows about the mail."""
    ends = list(
        accumulate(
            len(model._meta.concrete_fields)
            for model in (EmailChannel, Workspace, ForwardingAddress)
        )
    )
    channel = instance_from_row(EmailChannel, row[: ends[0]], connection)
    channel.workspace = instance_from_row(Workspace, row[ends[0] : ends[1]], connection)
    forwarding_address = instance_from_row(ForwardingAddress, row[ends[1] : ends[2]], connection)
    EmailChannel.forwarding_address.related.set_cached_value(channel, forwarding_address)
    ForwardingAddress.channel.field.set_cached_value(forwarding_address, channel)
    contact_values = row[ends[2] + 2 :]
    contact = (
        instance_from_row(Contact, contact_values, connection)
        if contact_values[0] is not None
        else None
    )
    return ChannelForDelivery(channel, row[ends[2]], bool(row[ends[2] + 1]), contact)


@functools.cache
def _lookup_sql(alias: str, candidates: int, with_message_id: bool) -> str:
    """The lookup's text for this many blocked-list candidates (built once per shape)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    blocked = "NULL"
    if candidates:
        value = quote("value")
        blocked = (
            f"(SELECT LOWER(b.{value}) FROM {quote(BlockedSender._meta.db_table)} b "  # noqa: S608
            f"WHERE b.{quote('workspace_id')} = c.{quote('workspace_id')} "
            f"AND LOWER(b.{value}) IN ({', '.join(['%s'] * candidates)}) "
            f"ORDER BY b.{value} LIMIT 1)"
        )
    duplicate = "1 = 0"
    if with_message_id:
        duplicate = (
            f"EXISTS(SELECT 1 FROM {quote(Message._meta.db_table)} m "  # noqa: S608
            f"WHERE m.{quote('workspace_id')} + 0 = c.{quote('workspace_id')} "
            f"AND m.{quote('message_id')} = %s AND m.{quote('content_digest')} = %s)"
        )
    return (
        # Identifiers come from the models, every value is a parameter.
        f"SELECT {select_list(EmailChannel, 'c', connection)}, "  # noqa: S608
        f"{select_list(Workspace, 'w', connection)}, "
        f"{select_list(ForwardingAddress, 'f', connection)}, {blocked}, {duplicate}, "
        f"{select_list(Contact, 'k', connection)} "
        f"FROM {quote(EmailChannel._meta.db_table)} c "
        f"JOIN {quote(Workspace._meta.db_table)} w ON w.{quote('id')} = c.{quote('workspace_id')} "
        f"JOIN {quote(ForwardingAddress._meta.db_table)} f "
        f"ON f.{quote('channel_id')} = c.{quote('id')} "
        f"LEFT JOIN {quote(Contact._meta.db_table)} k "
        f"ON k.{quote('workspace_id')} = c.{quote('workspace_id')} "
        f"AND LOWER(k.{quote('email')}) = %s "
        f"WHERE f.{quote('address')} = %s"
    )


def sender_candidates(senders: tuple[str, ...]) -> set[str]:
    """The blocked-list values that would match these senders: the address and its domains."""
    candidates: set[str] = set()
    for sender in senders:
        candidates.add(sender.lower())
        domain = sender.lower().rpartition("@")[2]
        while domain:
            candidates.add(domain)
            domain = domain.partition(".")[2]
    return candidates


def blocked_values_matching(workspace_id: int, senders: tuple[str, ...]) -> frozenset[str]:
    """The blocked-list entries (lower case) that could match these senders or their domains."""
    candidates = sender_candidates(senders)
    if not candidates:
        return frozenset()
    values = (
        BlockedSender.objects.filter(workspace_id=workspace_id)
        .annotate(lower_value=Lower("value"))
        .filter(lower_value__in=candidates)
        .values_list("lower_value", flat=True)
    )
    return frozenset(values)


def trusted_forwarders_for(channel: EmailChannel) -> frozenset[str]:
    """Addresses whose forwards are believed: the workspace's agents, the channel's mailbox and
    the mailboxes that asked to forward to it."""
    users = get_user_model().objects.filter(agent__workspace_id=channel.workspace_id)
    requested = ForwardingConfirmation.objects.filter(channel_id=channel.pk)
    # One query for both lists (the models' default orderings are not allowed in a UNION).
    emails = (
        users.order_by()
        .values_list("email", flat=True)
        .union(requested.order_by().values_list("requested_by", flat=True))
    )
    found = {email.lower() for email in emails if email}
    found.add(channel.from_address.lower())
    return frozenset(found)


def colleague_domains_for(channel: EmailChannel) -> frozenset[str]:
    """The team's own mail domains, whose authenticated people's forwards are believed: the
    domains of the team's mailbox and of the channel's from address, never a domain shared by
    unrelated people (gmail.com) or one of ours (the hosted inbox domains)."""
    addresses = (channel.team_address, channel.from_address)
    domains = {
        address.rpartition("@")[2].strip().lower() for address in addresses if "@" in address
    }
    return frozenset(domain for domain in domains if not is_shared_mailbox_domain(domain))


def threads_for_message_ids(
    workspace_id: int, message_ids: tuple[str, ...]
) -> tuple[dict[str, int], frozenset[int]]:
    """Referenced message ids -> thread ids in this workspace, and which of those are closed.

    Our own outbound ids carry their thread, signed, so a reply threads even when the message
    it answers was never stored under that id or its References were cut.
    """
    return threads_for_message_ids_ahead(message_ids, workspace_id=workspace_id)()


def threads_for_message_ids_ahead(
    message_ids: tuple[str, ...], *, workspace_id: int | None = None, address: str = ""
) -> Callable[[], tuple[dict[str, int], frozenset[int]]]:
    """`threads_for_message_ids` in the workspace given by id or by its forwarding `address`,
    sent now and read by calling the result: inside a pipeline it travels with the next query
    answered (the pipeline sends it before the channel lookup: one round trip for both)."""
    if not message_ids:
        return lambda: ({}, frozenset())
    connection = connections[router.db_for_read(Message)]
    sql, params, ours = threads_statement(
        connection.alias, message_ids, workspace_id=workspace_id, address=address
    )
    rows = read_ahead(connection, sql, params)
    return lambda: threads_from_rows(rows(), ours)


def threads_statement(
    alias: str, message_ids: tuple[str, ...], *, workspace_id: int | None = None, address: str = ""
) -> tuple[str, list[Any], dict[str, int]]:
    """The read of `threads_for_message_ids_ahead` (some ids given) as SQL and its parameters,
    and the threads our own ids among them name (for `threads_from_rows`)."""
    ours = {mid: tid for mid in message_ids if (tid := thread_id_from_message_id(mid)) is not None}
    ids = list(dict.fromkeys(message_ids))[:100]
    named = sorted(set(ours.values()))
    workspace = workspace_id if workspace_id is not None else address.strip().lower()
    sql = _threads_sql(alias, len(ids), len(named), by_address=workspace_id is None)
    return sql, [*ids, workspace, *([workspace, *named] if named else [])], ours


def threads_from_rows(
    rows: list[tuple[Any, ...]], ours: dict[str, int]
) -> tuple[dict[str, int], frozenset[int]]:
    known: dict[str, int] = {}
    by_thread: dict[int, str] = {}
    # A thread merged into another one (inbox.services.merge) leads to the one it went into.
    resolved: dict[int, int] = {}
    # The newest stored message wins an id used twice (rows come newest first); our own ids
    # name their thread.
    for message_id, thread_id, status, _, merged_into in rows:
        resolved[thread_id] = merged_into or thread_id
        if message_id:
            known.setdefault(message_id, resolved[thread_id])
        by_thread[resolved[thread_id]] = status
    for message_id, thread_id in ours.items():
        if thread_id in resolved:
            known.setdefault(message_id, resolved[thread_id])
    closed = {tid for tid in known.values() if by_thread.get(tid) == Thread.Status.CLOSED}
    return known, frozenset(closed)


@functools.cache
def _threads_sql(alias: str, ids: int, named: int, *, by_address: bool = False) -> str:
    """Messages stored under `ids` Message-IDs with their thread's status, and (`named`) the
    threads our own ids name, newest first; one statement, its text built once per shape.
    The workspace is a parameter, or (`by_address`) the one of the channel whose forwarding
    address is the parameter. `workspace_id + 0`: see channel_get_for_forwarding_address."""
    quote = connections[alias].ops.quote_name
    workspace = "%s"
    if by_address:
        workspace = (
            f"(SELECT c.{quote('workspace_id')} FROM {quote(EmailChannel._meta.db_table)} c "  # noqa: S608
            f"JOIN {quote(ForwardingAddress._meta.db_table)} f "
            f"ON f.{quote('channel_id')} = c.{quote('id')} WHERE f.{quote('address')} = %s)"
        )
    messages, threads = quote(Message._meta.db_table), quote(Thread._meta.db_table)
    status, created = quote("status"), quote("created_at")
    # A merged thread's row carries the thread it went into, and that thread's status.
    merged_into = quote("merged_into_id")
    into = f"LEFT JOIN {threads} g ON g.{quote('id')} = t.{merged_into}"
    sql = (
        # Identifiers come from the models, every value is a parameter.
        f"SELECT m.{quote('message_id')}, m.{quote('thread_id')}, "  # noqa: S608
        f"COALESCE(g.{status}, t.{status}), m.{created}, t.{merged_into} FROM {messages} m "
        f"JOIN {threads} t ON t.{quote('id')} = m.{quote('thread_id')} {into} "
        f"WHERE m.{quote('message_id')} IN ({', '.join(['%s'] * ids)}) "
        f"AND m.{quote('workspace_id')} + 0 = {workspace}"
    )
    if named:
        sql += (
            f" UNION ALL SELECT '', t.{quote('id')}, COALESCE(g.{status}, t.{status}), "  # noqa: S608
            f"t.{created}, t.{merged_into} FROM {threads} t {into} "
            f"WHERE t.{quote('workspace_id')} = {workspace} "
            f"AND t.{quote('id')} IN ({', '.join(['%s'] * named)})"
        )
    return sql + " ORDER BY 4 DESC"


def outbound_message_for_bounce(workspace_id: int, message_ids: tuple[str, ...]) -> Message | None:
    """The outbound message a bounce reports on, found by the ids quoted in the DSN."""
    ids = [mid for mid in message_ids if thread_id_from_message_id(mid) is not None]
    if not ids:
        return None
    return (
        Message.objects.filter(
            workspace_id=workspace_id, direction=Message.Direction.OUT, message_id__in=ids
        )
        .order_by("-created_at")
        .first()
    )
