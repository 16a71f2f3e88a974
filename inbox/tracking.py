"""ESP delivery events (anymail's tracking webhooks) about our replies.

A reply the ESP accepted can still bounce or be refused later; the ESP then posts a tracking event
(docs/reliability.md, "Replies that bounce later"). We tag every reply with its Message's primary
key in anymail metadata, which the ESPs echo back, and fall back to our signed Message-ID (Mailgun's
message id is the Message-ID header we set). Only the webhooks' basic auth and signatures stand
between a stranger and these events, the same as for inbound mail.
"""

from __future__ import annotations

import logging
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, tracking
from django.dispatch import receiver

from helpdesk.mail_ids import thread_id_from_message_id
from inbox.models import Message
from inbox.selectors.threads import inbox_changed

logger = logging.getLogger(__name__)

METADATA_KEY = "helpdesk_message"
FAILURE_EVENTS = {EventType.BOUNCED, EventType.REJECTED, EventType.FAILED}
FAILURE_WORDS = {
    EventType.BOUNCED: "The recipient's mail server bounced this reply",
    EventType.REJECTED: "The mail provider refused to send this reply",
    EventType.FAILED: "The mail provider could not send this reply",
}


def tracking_metadata(message: Message) -> dict[str, str]:
    """What we attach to an outbound mail so its delivery events find it again."""
    return {METADATA_KEY: str(message.pk)}


def _reply_for(event: AnymailTrackingEvent) -> Message | None:
    replies = Message.objects.filter(direction=Message.Direction.OUT)
    tagged = (event.metadata or {}).get(METADATA_KEY, "")
    if str(tagged).isdigit():
        return replies.filter(pk=int(tagged)).first()
    esp_id = (event.message_id or "").strip()
    thread_id = thread_id_from_message_id(esp_id)
    if thread_id is None:
        return None
    message_id = esp_id if esp_id.startswith("<") else f"<{esp_id}>"
    return replies.filter(thread_id=thread_id, message_id=message_id).first()


def delivery_failure_record(event: AnymailTrackingEvent) -> Message | None:
    """Mark the reply an ESP failure event is about as failed, with the ESP's reason."""
    if event.event_type not in FAILURE_EVENTS:
        return None
    reply = _reply_for(event)
    if reply is None:
        logger.info("delivery event %s for a message that is not ours", event.event_type)
        return None
    reason = " ".join(
        part for part in (event.description, event.mta_response, event.reject_reason) if part
    )
    detail = FAILURE_WORDS[event.event_type] + (f": {reason}" if reason else ".")
    Message.objects.filter(pk=reply.pk).update(
        delivery_status=Message.DeliveryStatus.FAILED, delivery_error=detail[:2000]
    )
    inbox_changed(workspace_id=reply.workspace_id)
    return reply


@receiver(tracking, dispatch_uid="inbox.tracking")
def handle_tracking(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    delivery_failure_record(event)
