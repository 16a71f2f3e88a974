"""What arrived on a thread while an agent was writing a reply (the send guard)."""

from __future__ import annotations

from django.db.models import Q

from inbox.models import Message, Thread


def thread_arrivals_since(*, thread: Thread, version: int, user_id: int) -> list[Message]:
    """Messages newer than `version` (the newest message id the composer saw) that change what
    the reply should say: the customer's mail and other agents' replies. Auto-replies, bounces
    and the agent's own replies do not count."""
    return list(
        Message.objects.filter(
            thread_id=thread.pk, workspace_id=thread.workspace_id, id__gt=version
        )
        .filter(
            Q(direction=Message.Direction.IN, is_auto_reply=False, is_bounce=False)
            | (Q(direction=Message.Direction.OUT) & ~Q(sent_by_id=user_id))
        )
        .select_related("sent_by")
        .order_by("id")[:20]
    )
