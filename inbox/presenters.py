"""What the inbox pages show, shaped from what the selectors loaded: plain data for the
templates, no queries (the thread page, its messages, a rejected mail's row)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from helpdesk.mail_providers import is_shared_mailbox_domain
from helpdesk.models import Agent
from inbox.inbound.parse import addresses
from inbox.inbound.quoted import Split, split_html, split_text
from inbox.inbound.validate import SKIPPABLE
from inbox.models import Attachment, InboundEmail, Message, Thread, Ticket
from inbox.rendering import SANDBOX, RenderedBody, render_html_body
from inbox.selectors.threads import ThreadPageData, max_attachment_bytes
from inbox.services import outbound, undo_send
from inbox.services.threads import TICKET_FIELDS

# The pipeline's words for its attribution methods, plus the ones only the inbox writes.
ATTRIBUTION_LABELS = {
    "from_header": "the From header",
    "auto_forward": "the From header of an automatic forward",
    "gmail_forward": "a Gmail forward",
    "outlook_forward": "an Outlook forward",
    "apple_forward": "an Apple Mail forward",
    "thunderbird_forward": "a Thunderbird forward",
    "yahoo_forward": "a Yahoo forward",
    "quoted_forward": "the quoted message of a forward",
    "html_forward": "a forward's HTML",
    "forward_without_address": "a forward whose original sender gave no address",
    "rfc822": "a forwarded attachment",
    "google_groups": "a Google Groups message",
    "forwarder_setting": "the channel setting (attribute to the forwarder)",
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
    # The quoted history and trailing signature of an incoming message, shown behind a
    # "Show quoted text" toggle under what is new (`body` or `text`); None or "" when whole.
    folded_body: RenderedBody | None = None
    folded_text: str = ""

    @property
    def pk(self) -> int:
        return self.message.pk

    @property
    def is_sending(self) -> bool:
        return self.delivery_status == Message.DeliveryStatus.SENDING

    @property
    def is_queued(self) -> bool:
        """Stored but not yet queued (the broker is down): it goes out once it is back."""
        return outbound.is_waiting_for_broker(self.message)

    @property
    def can_retry(self) -> bool:
        failed = self.message.delivery_status == Message.DeliveryStatus.FAILED
        return failed or outbound.is_stuck(self.message, timezone.now())

    @property
    def undo_seconds(self) -> int:
        """Seconds left to undo this reply ("Sending in 8 s, Undo"); 0 once it cannot be."""
        now = timezone.now()
        return undo_send.seconds_left(self.message, now=now) if self.is_undoable else 0

    @property
    def is_undoable(self) -> bool:
        return undo_send.is_undoable(self.message, now=timezone.now())


def _kind(message: Message) -> tuple[str, str]:
    if message.is_bounce:
        return "bounce", "Bounce"
    if message.is_auto_reply:
        return "auto_reply", "Auto-reply"
    if message.direction == Message.Direction.OUT and message.is_forward:
        return "outbound", "Forward"
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
    if message.attribution_rule:
        # Which rule of the forward detector chose the sender: unknown labels are decided by
        # position and content, and the agent should see that.
        via = f"{via} ({message.attribution_rule})"
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
    message: Message, *, show_images: bool = False, image_origin: str = "", viewer: str = ""
) -> MessageView:
    """`image_origin` (ours, as the browser sees it) is where shown remote images load from, in
    links signed for `viewer` (inbox.image_proxy counts each viewer's fetches)."""
    kind, label = _kind(message)
    # Lists prefetched by the selector (to_attr), else the related managers.
    attachments = getattr(message, "attachment_list", None)
    if attachments is None:
        attachments = list(message.attachments.all())
    bodies = _bodies(
        message,
        attachments,
        show_images=show_images and bool(image_origin),
        image_origin=image_origin,
        viewer=viewer,
    )
    status, error, bounces = _delivery(message)
    return MessageView(
        message=message,
        kind=kind,
        kind_label=label,
        sender_name=message.from_name,
        sender_email=message.from_email,
        attribution=attribution_line(message),
        body=bodies.body,
        text=bodies.text.new,
        attachments=[
            present_attachment(a) for a in attachments if not a.is_inline or not bodies.body
        ],
        delivery_status=status,
        delivery_error=error,
        bounces=bounces,
        warnings=_warnings(message),
        show_images=show_images,
        folded_body=bodies.folded_body,
        folded_text=bodies.text.folded,
    )


@dataclass(frozen=True)
class _Bodies:
    body: RenderedBody | None
    folded_body: RenderedBody | None
    text: Split


def _bodies(
    message: Message,
    attachments: list[Attachment],
    *,
    show_images: bool,
    image_origin: str,
    viewer: str,
) -> _Bodies:
    """The rendered HTML (what is new, and the folded history) or else the text."""

    def render(html: str) -> RenderedBody:
        return render_html_body(
            html,
            attachments=attachments,
            show_images=show_images,
            image_origin=image_origin,
            viewer=viewer,
        )

    html = _split(message, message.html, split_html) if message.html.strip() else None
    body = render(html.new) if html is not None else None
    folded_body = render(html.folded) if html is not None and html.folded else None
    if body is not None and folded_body is not None and folded_body.has_remote_images:
        body = replace(body, has_remote_images=True)  # one "Show images" for both frames
    text = _split(message, message.text, split_text) if body is None else Split(message.text, "")
    return _Bodies(body, folded_body, text)


def _warnings(message: Message) -> list[str]:
    warnings = [str(warning) for warning in message.sender_warnings or []]
    if "@" in message.from_name and message.direction == Message.Direction.IN:
        # "support@bank.com" <x@evil.example>: the name looks like an address (docs/reliability.md,
        # "Display names that look like addresses").
        warnings.append(
            f"The sender's name looks like an address; the mail came from {message.from_email}."
        )
    return warnings


def _delivery(message: Message) -> tuple[str, str, list[Message]]:
    """(status, error, bounces) of a reply: a bounce marks it failed even after the ESP took it."""
    status, error = message.delivery_status, message.delivery_error
    bounces: list[Message] = []
    if message.direction == Message.Direction.OUT:
        prefetched = getattr(message, "bounce_list", None)
        bounces = list(prefetched if prefetched is not None else message.bounces.all())
    if bounces and status != Message.DeliveryStatus.FAILED:
        status = Message.DeliveryStatus.FAILED
        error = error or f"Bounced: {bounces[-1].subject or 'delivery failed'}"
    return status, error, bounces


def _split(message: Message, body: str, split: Callable[[str], Split]) -> Split:
    """What is new in an incoming message and its quoted history (inbox.inbound.quoted): only
    for display, the stored body is never changed. Our replies and bounces show whole."""
    if message.direction != Message.Direction.IN or message.is_bounce:
        return Split(body, "")
    return split(body)


@dataclass(frozen=True)
class TicketField:
    """One ticket property of the side panel, as a select."""

    name: str
    label: str
    choices: list[tuple[str, str]]
    current: str


def present_ticket_fields(ticket: Ticket | None) -> list[TicketField]:
    """The editable ticket properties; a thread without a ticket shows the defaults."""
    fields = []
    for name in TICKET_FIELDS:
        model_field: Any = Ticket._meta.get_field(name)
        fields.append(
            TicketField(
                name=name,
                label=str(model_field.verbose_name).capitalize(),
                choices=list(model_field.choices or []),
                current=getattr(ticket, name) if ticket else model_field.get_default(),
            )
        )
    return fields


def blockable_domain(thread: Thread) -> str:
    """The contact's domain when blocking it is sensible; "" for gmail.com and the like."""
    domain = thread.contact.email.rpartition("@")[2].lower() if thread.contact else ""
    return "" if not domain or is_shared_mailbox_domain(domain) else domain


def image_viewer(agent: Agent) -> str:
    """Whom the image proxy counts a shown image's fetch against."""
    return f"agent:{agent.pk}"


def present_thread_page(
    page: ThreadPageData, *, agent: Agent, shown_images: str = "", image_origin: str = ""
) -> dict[str, Any]:
    """The thread page's context for `agent`. `shown_images` is "all" or the id of the one
    message whose remote images the agent asked to see; they load from `image_origin`."""
    thread, channel = page.thread, page.thread.channel
    message_views = [
        present_message(
            message,
            show_images=shown_images in {"all", str(message.pk)},
            image_origin=image_origin,
            viewer=image_viewer(agent),
        )
        for message in page.messages
    ]
    from_name, from_address = outbound.from_header(channel=channel, agent=agent)
    return {
        "thread": thread,
        "ticket": page.ticket,
        "agents": page.agents,
        "message_views": message_views,
        "last_message_id": max((view.pk for view in message_views), default=0),
        "other_threads": page.other_threads,
        "teams": page.teams,
        "from_display": f"{from_name} <{from_address}>" if from_name else from_address,
        "contact_domain": blockable_domain(thread),
        "signature_html": outbound.reply_signature(channel=channel, agent=agent),
        "reply_cc": outbound.reply_cc_default(
            page.messages,
            contact_email=thread.contact.email if thread.contact else "",
            channel=channel,
        ),
        "max_attachment_bytes": max_attachment_bytes(),
        "ticket_fields": present_ticket_fields(page.ticket),
    }


@dataclass(frozen=True)
class RejectedMail:
    """A row of the rejected-mail log, with what its actions act on."""

    email: InboundEmail
    sender_address: str
    can_process: bool


def present_rejected_mail(email: InboundEmail) -> RejectedMail:
    """`sender_address` is what "Block sender" blocks ("" when the From header has none);
    `can_process` offers "Process anyway" only for a check an admin may override."""
    found = addresses(email.from_header)
    return RejectedMail(
        email=email,
        sender_address=found[0][1] if found else "",
        can_process=email.reason_code in SKIPPABLE,
    )
