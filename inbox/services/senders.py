"""Blocking and unblocking senders: the one write path behind every "Block sender" button (the
thread page, "Mark as spam", the rejected-mail log) and the blocked list's "Unblock"."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from helpdesk.mail_providers import is_shared_mailbox_domain
from helpdesk.models import Agent
from helpdesk.refusals import Refused
from inbox.models import BlockedSender


def sender_block(*, workspace_id: int, value: str, by: Agent | None) -> BlockedSender:
    """Refuse future mail from an address or a whole domain (idempotent, case-insensitive).

    Raises Refused for a value that is neither, and for a domain shared by unrelated people
    (gmail.com): blocking it would refuse every customer who writes from there.
    """
    value = value.strip().lower()
    if not value or value.count("@") > 1 or " " in value:
        raise Refused("Enter an address (name@example.com) or a domain (example.com).")
    if "@" not in value and is_shared_mailbox_domain(value):
        raise Refused(
            f"{value} is shared by many unrelated people: blocking it would refuse mail from all "
            "of them. Block the sender's address instead."
        )
    existing = (
        BlockedSender.objects.annotate(lower=Lower("value"))
        .filter(workspace_id=workspace_id, lower=value)
        .first()
    )
    if existing:
        return existing
    try:
        with transaction.atomic():
            return BlockedSender.objects.create(
                workspace_id=workspace_id, value=value, created_by_id=by.user_id if by else None
            )
    except IntegrityError:
        # Two admins blocked the same sender at once: the unique index let one row in.
        return BlockedSender.objects.get(workspace_id=workspace_id, value__iexact=value)


def sender_unblock(*, blocked: BlockedSender) -> None:
    """Accept mail from this address or domain again."""
    BlockedSender.objects.filter(pk=blocked.pk, workspace_id=blocked.workspace_id).delete()
