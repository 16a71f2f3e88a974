"""The inbound event every path into intake sends: the raw MIME, the envelope, ESP verdicts.

The message is not parsed here: parsing happens in the worker (DESIGN "Flows: Inbound"), so a
message that breaks Python's email package (deep nesting, CR/LF in a display name, an unknown
charset: docs/reliability.md, "Mail that breaks parsers") is stored like any other and refused later
with a reason.
"""

from __future__ import annotations

from email import policy
from email.message import Message
from email.parser import BytesHeaderParser
from typing import Any

from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, EventType


class RawInboundMessage(AnymailInboundMessage):
    """An inbound message that carries its exact bytes; only the envelope fields are set."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.raw_mime = b""
        # "esp" when the ESP computed the verdicts itself (not read from sender-controlled headers).
        self.verdict_source = ""
        self.dmarc_verdict = ""
        self.spam_header_duplicated = False


def raw_inbound_event(
    *,
    raw: bytes,
    envelope_recipient: str,
    envelope_sender: str = "",
    event_id: str | None = None,
    spam_detected: bool | None = None,
    spam_score: float | None = None,
    verdict_source: str = "",
    dmarc_verdict: str = "",
    spam_header_duplicated: bool = False,
    esp_event: object = None,
) -> AnymailInboundEvent:
    message = RawInboundMessage()
    message.raw_mime = raw
    message.envelope_recipient = envelope_recipient
    message.envelope_sender = envelope_sender
    message.spam_detected = spam_detected
    message.spam_score = spam_score
    message.verdict_source = verdict_source
    message.dmarc_verdict = dmarc_verdict
    message.spam_header_duplicated = spam_header_duplicated
    return AnymailInboundEvent(
        event_type=EventType.INBOUND,
        event_id=event_id,
        esp_event=esp_event,
        message=message,
    )


def raw_mime_of(message: AnymailInboundMessage) -> bytes:
    """The bytes to store: the ESP's own MIME when we kept it, else anymail's rebuilt message."""
    raw = getattr(message, "raw_mime", b"")
    return raw if raw else message.as_bytes()


def header_block(raw: bytes) -> Message:
    """The top-level header fields only, parsed leniently (compat32 never raises on values)."""
    ends = [index for index in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if index >= 0]
    head = raw[: min(ends) + 2] if ends else raw
    return BytesHeaderParser(policy=policy.compat32).parsebytes(head)


def header_spam_verdict(
    raw: bytes, *, flag_header: str, score_header: str
) -> tuple[bool | None, float | None, bool]:
    """(spam detected, score, a second copy exists) from an ESP's spam headers.

    The ESP prepends its headers, so the topmost copy is the ESP's; a second copy was already in
    the message when it arrived, which is suspicious (docs/reliability.md, "Forged spam verdicts").
    """
    headers = header_block(raw)
    flags = headers.get_all(flag_header) or []
    scores = headers.get_all(score_header) or []
    detected = str(flags[0]).strip().lower().startswith("yes") if flags else None
    try:
        score = float(str(scores[0]).strip().split()[0]) if scores else None
    except (ValueError, IndexError):
        score = None
    return detected, score, len(flags) > 1 or len(scores) > 1
