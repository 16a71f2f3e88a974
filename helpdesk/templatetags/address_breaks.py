"""Long addresses that wrap where a reader expects: after the "@" and after a dot, never
inside a word or at a hyphen ("acme-support-7f3k@" / "acme.inbox." / "example.com")."""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_SEGMENT = re.compile(r"[^@.]+[@.]?|[@.]")


@register.filter
def breakable_address(address: str) -> SafeString:
    """The address as unbreakable pieces ending at "@" or ".", with a break opportunity
    (<wbr>) between them; CSS keeps each piece on one line (`.address-part`)."""
    pieces = _SEGMENT.findall(address or "")
    spans = (format_html('<span class="address-part">{}</span>', piece) for piece in pieces)
    return mark_safe("<wbr>".join(spans))  # noqa: S308 (each piece escaped by format_html)
