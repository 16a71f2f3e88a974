"""`{% merge_event_item thread event_pk as item %}`: a merge or split of the conversation with
the undo it still offers, for the timeline's line (templates/inbox/partials/merge_event.html)."""

from __future__ import annotations

from django import template

from inbox.models import Thread
from inbox.selectors.merge import HistoryItem
from inbox.selectors.merge import merge_event_item as item_of

register = template.Library()


@register.simple_tag
def merge_event_item(thread: Thread, event_pk: int) -> HistoryItem | None:
    return item_of(thread=thread, event_pk=event_pk)
