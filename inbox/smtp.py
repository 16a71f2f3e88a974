"""Mail handed to us directly: the built-in SMTP listener and `manage.py deliver_eml`.

Both send anymail's `inbound` signal, like the ESP webhooks, so the one receiver stores every
delivery. `deliver` is the plain function the SMTP handler wraps; tests call it directly.
"""

from __future__ import annotations

import logging
from typing import Any

from anymail.signals import inbound
from asgiref.sync import sync_to_async
from django.db import DatabaseError, close_old_connections

from inbox.models import InboundEmail
from inbox.selectors.intake import is_forwarding_address
from inbox.webhooks.raw import raw_inbound_event

logger = logging.getLogger(__name__)


def deliver(
    raw: bytes, *, recipients: list[str], envelope_sender: str = "", esp: str
) -> list[InboundEmail]:
    """Store one message for each envelope recipient (as the ESP webhooks do); returns the rows."""
    rows = []
    for recipient in recipients:
        event = raw_inbound_event(
            raw=raw, envelope_recipient=recipient, envelope_sender=envelope_sender
        )
        for _receiver, row in inbound.send(sender=deliver, event=event, esp_name=esp):
            if isinstance(row, InboundEmail):
                rows.append(row)
    return rows


def _deliver_from_smtp(raw: bytes, recipients: list[str], envelope_sender: str) -> int:
    close_old_connections()
    return len(deliver(raw, recipients=recipients, envelope_sender=envelope_sender, esp="smtp"))


def _is_forwarding_address(address: str) -> bool:
    close_old_connections()
    return is_forwarding_address(address)


class InboundSMTPHandler:
    """aiosmtpd handler: refuse unknown recipients at RCPT, store the message at DATA."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            known = await sync_to_async(_is_forwarding_address)(address)
        except DatabaseError:
            logger.exception("SMTP: database unavailable at RCPT")
            return "451 4.3.0 Temporary failure, try again later"
        if not known:
            return "550 5.1.1 No such forwarding address here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        try:
            await sync_to_async(_deliver_from_smtp)(
                raw, list(envelope.rcpt_tos), envelope.mail_from or ""
            )
        except DatabaseError:
            # Nothing stored: a temporary failure makes the sending server try again.
            logger.exception("SMTP: database unavailable at DATA")
            return "451 4.3.0 Temporary failure, try again later"
        return "250 Message accepted for delivery"
