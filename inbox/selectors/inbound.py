"""Reads the inbound pipeline needs: the channel of a forwarding address, blocked senders,
the people whose forwards we believe, and the threads a message refers to."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Subquery, Value
from django.db.models.functions import Lower

from channels_cfg.models import EmailChannel, ForwardingConfirmation
from inbox.message_ids import thread_id_from_message_id
from inbox.models import BlockedSender, Message, Thread


def channel_get_for_forwarding_address(
    address: str, sender: str = "", message_id: str = "", digest: str = ""
) -> EmailChannel | None:
    """The channel whose forwarding address is `address` (the envelope recipient), any status.

    Annotated, so the common case costs one query instead of three, with `blocked_sender_rule`
    (the blocked-list entry matching `sender` in the channel's workspace, or None) and
    `has_duplicate` (a message with this Message-ID and content digest is stored there).
    """
    candidates = sender_candidates((sender,)) if sender else set()
    blocked = (
        BlockedSender.objects.filter(workspace_id=OuterRef("workspace_id"))
        .annotate(lower_value=Lower("value"))
        .filter(lower_value__in=candidates or {""})
        .values("lower_value")[:1]
    )
    duplicate = Message.objects.filter(
        workspace_id=OuterRef("workspace_id"), message_id=message_id, content_digest=digest
    )
    return (
        EmailChannel.objects.select_related("workspace", "forwarding_address")
        .annotate(
            blocked_sender_rule=Subquery(blocked),
            has_duplicate=Exists(duplicate) if message_id else Value(False),
        )
        .filter(forwarding_address__address=address.strip().lower())
        .first()
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


def threads_for_message_ids(
    workspace_id: int, message_ids: tuple[str, ...]
) -> tuple[dict[str, int], frozenset[int]]:
    """Referenced message ids -> thread ids in this workspace, and which of those are closed.

    Our own outbound ids carry their thread, signed, so a reply threads even when the message
    it answers was never stored under that id or its References were cut.
    """
    if not message_ids:
        return {}, frozenset()
    ours = {mid: tid for mid in message_ids if (tid := thread_id_from_message_id(mid)) is not None}
    known: dict[str, int] = {}
    closed: set[int] = set()
    rows = (
        Message.objects.filter(workspace_id=workspace_id, message_id__in=message_ids[:100])
        .order_by("-created_at")
        .values_list("message_id", "thread_id", "thread__status")
    )
    for message_id, thread_id, status in rows:
        known.setdefault(message_id, thread_id)
        if status == Thread.Status.CLOSED:
            closed.add(thread_id)
    if ours:
        threads = Thread.objects.filter(workspace_id=workspace_id, pk__in=set(ours.values()))
        statuses = dict(threads.values_list("pk", "status"))
        for message_id, thread_id in ours.items():
            if thread_id in statuses:
                known.setdefault(message_id, thread_id)
                if statuses[thread_id] == Thread.Status.CLOSED:
                    closed.add(thread_id)
    return known, frozenset(closed)


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
