"""The limits a person is told about, read from the settings that enforce them."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def max_message_mb() -> str:
    """The inbound size cap in MB as the article states it ("30"), the size of the whole message
    with its attachments (INBOUND_MAX_MESSAGE_BYTES)."""
    megabytes = settings.INBOUND_MAX_MESSAGE_BYTES / (1024 * 1024)
    return f"{megabytes:g}" if megabytes >= 1 else f"{megabytes:.2g}"
