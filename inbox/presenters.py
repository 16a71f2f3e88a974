"""What a message looks like on the thread page: plain data for the templates, no queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from inbox.models import Attachment, Message
from inbox.rendering import SANDBOX, RenderedBody, render_html_body
from inbox.templatetags.inbound import VIA_LABELS

# The pipeline's words for its attribution methods, plus the ones only the inbox writes.
ATTRIBUTION_LABELS = {
    **VIA_LABELS,
    "forwarded_block": "the forwarded message block",
    "manual": "an agent",
}


@dataclass(frozen=True)
class AttachmentView:
    pk: int
    filename: str
    content_type: str
    size_label: str
    is_inline: bool


@dataclass
class MessageView:
    message: Message
    kind: str  # "inbound", "outbound", "auto_reply", "bounce"
    kind_label: str
    sender_name: str
    sender_email: str
    attribution: str
    body: RenderedBody | None
    text: str
    attachments: list[AttachmentView]
    delivery_status: str
    delivery_error: str
    bounces: list[Message] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    show_images: bool = False
    sandbox: str = SANDBOX

    @property
    def pk(self) -> int:
        return self.message.pk

    @property
    def is_sending(self) -> bool:
        return self.delivery_status == Message.DeliveryStatus.SENDING

    @property
    def can_retry(self) -> bool:
        from inbox.services.outbound import is_stuck

        failed = self.message.delivery_status == Message.DeliveryStatus.FAILED
        return failed or is_stuck(self.message, timezone.now())


def _kind(message: Message) -> tuple[str, str]:
    if message.is_bounce:
        return "bounce", "Bounce"
    if message.is_auto_reply:
        return "auto_reply", "Auto-reply"
    if message.direction == Message.Direction.OUT:
        return "outbound", "Reply"
    return "inbound", ""


def attribution_line(message: Message) -> str:
    """'forwarded by X, attributed via Y' for forwarded mail; empty for direct mail."""
    via_code = message.attributed_via
    if not message.forwarded_by and via_code in {"", "from", "from_header"}:
        return ""
    via = ATTRIBUTION_LABELS.get(via_code, via_code.replace("_", " "))
    line = f"forwarded by {message.forwarded_by}" if message.forwarded_by else ""
    if not via:
        return line
    return f"{line}, attributed via {via}" if line else f"attributed via {via}"


def present_attachment(attachment: Attachment) -> AttachmentView:
    return AttachmentView(
        pk=attachment.pk,
        filename=attachment.filename or "attachment",
        content_type=attachment.content_type or "application/octet-stream",
        size_label=filesizeformat(attachment.size),
        is_inline=attachment.is_inline,
    )


def present_message(
    message: Message, *, show_images: bool = False, image_origin: str = ""
) -> MessageView:
    """`image_origin` (ours, as the browser sees it) is where shown remote images load from."""
    kind, label = _kind(message)
    # Lists prefetched by the selector (to_attr), else the related managers.
    attachments = getattr(message, "attachment_list", None)
    if attachments is None:
        attachments = list(message.attachments.all())
    body = (
        render_html_body(
            message.html,
            attachments=attachments,
            show_images=show_images and bool(image_origin),
            image_origin=image_origin,
        )
        if message.html.strip()
        else None
    )
    status = message.delivery_status
    warnings = [str(warning) for warning in message.sender_warnings or []]
    if "@" in message.from_name and message.direction == Message.Direction.IN:
        # "support@bank.com" <x@evil.example>: the name looks like an address (row 35).
        warnings.append(
            f"The sender's name looks like an address; the mail came from {message.from_email}."
        )
    bounces: list[Message] = []
    if message.direction == Message.Direction.OUT:
        prefetched = getattr(message, "bounce_list", None)
        bounces = list(prefetched if prefetched is not None else message.bounces.all())
    error = message.delivery_error
    if bounces and status != Message.DeliveryStatus.FAILED:
        # A bounce reports the reply undeliverable even though the ESP accepted it.
        status = Message.DeliveryStatus.FAILED
        error = error or f"Bounced: {bounces[-1].subject or 'delivery failed'}"
    return MessageView(
        message=message,
        kind=kind,
        kind_label=label,
        sender_name=message.from_name,
        sender_email=message.from_email,
        attribution=attribution_line(message),
        body=body,
        text=message.text,
        attachments=[present_attachment(a) for a in attachments if not a.is_inline or not body],
        delivery_status=status,
        delivery_error=error,
        bounces=bounces,
        warnings=warnings,
        show_images=show_images,
    )
