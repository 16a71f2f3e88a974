"""The header our outbound mail carries so that it is recognised if it ever comes back to us."""

from __future__ import annotations

from django.conf import settings

LOOP_HEADER = "X-Loop"


def loop_header_value() -> str:
    """The value we put in LOOP_HEADER; inbound mail carrying it is our own mail looping back."""
    return f"helpdesk@{settings.HOSTED_INBOX_DOMAIN}"
