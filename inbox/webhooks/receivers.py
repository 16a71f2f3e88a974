"""The one receiver of anymail's `inbound` signal: store the delivery, queue it, nothing else.

ESP webhooks, the SMTP listener and `manage.py deliver_eml` all send this signal.
"""

from __future__ import annotations

from typing import Any

from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, inbound
from django.conf import settings
from django.dispatch import receiver

from inbox.models import InboundEmail
from inbox.services.intake import inbound_email_receive
from inbox.webhooks.raw import raw_mime_of


def esp_slug(esp_name: str) -> str:
    """anymail's display name ("Amazon SES") as we store it ("amazon_ses")."""
    return esp_name.strip().lower().replace(" ", "_").replace("-", "_")


def esp_verdicts_for(message: AnymailInboundMessage, esp: str) -> dict[str, Any]:
    """The ESP's spam and DMARC verdicts, kept only where the ESP computed them itself."""
    source = getattr(message, "verdict_source", "")
    if not source and esp in settings.INBOUND_SPAM_HEADERS_TRUSTED_ESPS:
        source = "esp"
    trusted = source == "esp"
    verdicts: dict[str, Any] = {
        "esp": esp,
        "spam_detected": message.spam_detected if trusted else None,
        "spam_score": message.spam_score if trusted else None,
        "verdict_source": source,
        "dmarc_verdict": getattr(message, "dmarc_verdict", "") if trusted else "",
    }
    if getattr(message, "spam_header_duplicated", False):
        verdicts["spam_header_duplicated"] = True
    return verdicts


@receiver(inbound, dispatch_uid="inbox.store_inbound")
def store_inbound(
    sender: object, event: AnymailInboundEvent, esp_name: str, **kwargs: Any
) -> InboundEmail:
    message = event.message
    esp = esp_slug(esp_name)
    return inbound_email_receive(
        raw=raw_mime_of(message),
        esp=esp,
        envelope_recipient=str(message.envelope_recipient or ""),
        envelope_sender=str(message.envelope_sender or ""),
        esp_event_id=str(event.event_id or ""),
        esp_verdicts=esp_verdicts_for(message, esp),
    )
