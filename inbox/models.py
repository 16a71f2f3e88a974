"""Contacts, threads, messages, attachments, tickets, and the ledger of inbound mail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from channels_cfg.models import (
    EmailChannel,
    TicketCategory,
    TicketPipeline,
    TicketPriority,
    TicketStatus,
)
from helpdesk.models import Team, Workspace


class InboundEmail(models.Model):
    """The durable ledger: one row per delivery an ESP, SMTP or an operator handed us."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSING = "processing", "Processing"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"
        DUPLICATE = "duplicate", "Duplicate"

    esp = models.CharField(max_length=32)
    esp_event_id = models.CharField(max_length=255, blank=True)
    envelope_recipient = models.CharField(max_length=320, blank=True)
    envelope_sender = models.CharField(max_length=320, blank=True)
    # What the ESP itself concluded (spam verdict and score, SES auth verdicts), captured at
    # intake so that nothing ESP-specific has to reach the worker.
    esp_verdicts = models.JSONField(default=dict, blank=True)
    raw = models.BinaryField()
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # sha256 of envelope recipient + raw sha256: the same bytes to the same address are one delivery.
    idempotency_key = models.CharField(max_length=64)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    reason_code = models.CharField(max_length=32, blank=True)
    reason_detail = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Checks an admin chose to skip with "Process anyway" (reason codes).
    skip_checks = models.JSONField(default=list, blank=True)
    # Filled by the pipeline for the rejected-mail log; the raw message stays the truth.
    from_header = models.CharField(max_length=998, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    # Every index here is written again on each of the row's three writes per message (the
    # status changes, so no update is HOT): the foreign keys use the composite indexes below.
    workspace = models.ForeignKey(
        Workspace,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_emails",
        db_index=False,
    )
    channel = models.ForeignKey(
        EmailChannel,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_emails",
        db_index=False,
    )

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            # A constraint, not unique=True: PostgreSQL would get a second, pattern-ops index.
            models.UniqueConstraint(fields=["idempotency_key"], name="inbound_email_idempotency"),
            models.UniqueConstraint(
                fields=["esp", "esp_event_id"],
                condition=~models.Q(esp_event_id=""),
                name="inbound_email_unique_esp_event",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["workspace", "status", "-received_at"]),
            models.Index(fields=["channel", "status"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.esp} -> {self.envelope_recipient} ({self.status})"


class Contact(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="contacts")
    email = models.EmailField(max_length=320)
    name = models.CharField(max_length=255, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contacts",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), "workspace", name="contact_email_unique_per_workspace"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class Thread(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Kind(models.TextChoices):
        CONVERSATION = "conversation", "Conversation"
        FORWARDING_CONFIRMATION = "forwarding_confirmation", "Forwarding confirmation"

    # Workspace and contact are the first columns of thread_inbox_list and thread_contact_list.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="threads", db_index=False
    )
    channel = models.ForeignKey(
        EmailChannel, null=True, blank=True, on_delete=models.SET_NULL, related_name="threads"
    )
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="threads",
        db_index=False,
    )
    subject = models.CharField(max_length=998, blank=True)
    snippet = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.CONVERSATION)
    is_spam = models.BooleanField(default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_threads",
    )
    assigned_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="threads"
    )
    # A forwarding-confirmation thread has no contact: it shows the provider's code and link.
    forwarding_confirmation = models.ForeignKey(
        "channels_cfg.ForwardingConfirmation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="threads",
    )
    message_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [
            # The inbox views: (workspace, kind, status[, assignee]) ordered by recency, keyset on id.
            models.Index(
                fields=["workspace", "kind", "status", "is_spam", "-last_message_at", "-id"],
                name="thread_inbox_list",
            ),
            models.Index(
                fields=["workspace", "assignee", "status", "-last_message_at", "-id"],
                name="thread_assignee_list",
            ),
            models.Index(fields=["contact", "-last_message_at"], name="thread_contact_list"),
            # The reports: conversations created in a period, and those created after it.
            models.Index(fields=["workspace", "created_at"], name="thread_created"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject or '(no subject)'}"


class ThreadEvent(models.Model):
    """What happened to a thread, when, and who did it: the record reports count from.

    Written by `inbox.services.events.thread_event_record` in the transaction of the change.
    """

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "Assigned"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"
        SPAM = "spam", "Marked as spam"
        CONTACT_CHANGED = "contact_changed", "Contact changed"
        TICKET_CHANGED = "ticket_changed", "Ticket changed"
        NOT_SPAM = "not_spam", "Marked as not spam"
        TAGS_CHANGED = "tags_changed", "Tags changed"
        SNOOZED = "snoozed", "Snoozed"
        WOKE = "woke", "Woke up"
        FORWARDED = "forwarded", "Forwarded"
        MERGED = "merged", "Merged"
        UNMERGED = "unmerged", "Merge undone"
        SPLIT = "split", "Split"
        UNSPLIT = "unsplit", "Split undone"

    # No single-column indexes: (thread, at) and (workspace, kind, at) below lead with these.
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    # Null: the system did it (a rule, the pipeline reopening a thread on new mail).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    # Details of the change: {"assignee_id": 7, "team_id": null, "from_assignee_id": 3}, ...
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["workspace", "kind", "at"], name="thread_event_kind_at"),
            models.Index(fields=["thread", "at"], name="thread_event_thread_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.thread_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class ThreadReadState(models.Model):
    """When an agent last read a thread; a thread with newer mail is unread for them."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_states")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_read_states"
    )
    last_read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="thread_read_state_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} read #{self.thread_id} at {self.last_read_at:%Y-%m-%d %H:%M}"


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", "Inbound"
        OUT = "out", "Outbound"

    class DeliveryStatus(models.TextChoices):
        NONE = "", "Not applicable"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    # No index of their own: workspace_stamp and message_thread_order lead with them (a
    # single-column workspace index also tempted the planner into scanning a workspace's mail).
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    message_id = models.CharField(max_length=998, blank=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    # The ATTRIBUTED sender: who really wrote it, not necessarily the From header.
    from_email = models.EmailField(max_length=320, blank=True)
    from_name = models.CharField(max_length=255, blank=True)
    # The mailbox or person that forwarded it to us, and how we decided who wrote it.
    forwarded_by = models.CharField(max_length=320, blank=True)
    attributed_via = models.CharField(max_length=32, blank=True)
    # Which rule of the forward detector chose the sender ("From label", "first line of the
    # block"...), shown in the attribution line; "" for mail attributed by its headers.
    attribution_rule = models.CharField(max_length=100, blank=True)
    # Caveats shown beside the sender (address in the display name, DMARC fail, via a group...).
    sender_warnings = models.JSONField(default=list, blank=True)
    forwarder_note = models.TextField(blank=True)
    to = models.TextField(blank=True)
    cc = models.TextField(blank=True)
    subject = models.CharField(max_length=998, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    is_auto_reply = models.BooleanField(default=False)
    is_bounce = models.BooleanField(default=False)
    # For a bounce: the outbound message it reports on.
    bounce_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="bounces"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sent_messages",
    )
    delivery_status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.NONE, blank=True
    )
    delivery_error = models.TextField(blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set when a send task claims the message, so a retry racing it never sends twice.
    send_started_at = models.DateTimeField(null=True, blank=True)
    # sha256 of the normalised body: the same Message-ID with other content is not a duplicate.
    content_digest = models.CharField(max_length=64, blank=True)
    inbound = models.OneToOneField(
        InboundEmail, null=True, blank=True, on_delete=models.SET_NULL, related_name="message"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # Message-ID first: lookups filter the workspace as `workspace_id + 0`, so that no
            # index starting with the workspace (workspace_stamp) can tempt the planner into
            # scanning all of a workspace's mail (inbox.selectors.inbound).
            models.Index(fields=["message_id", "workspace"], name="message_msgid_workspace"),
            models.Index(fields=["thread", "created_at", "id"], name="message_thread_order"),
            # The outbound sweeper's scan: only replies still "sending", a handful at any time.
            models.Index(
                fields=["created_at"],
                name="message_sending",
                condition=models.Q(delivery_status="sending"),
            ),
        ]

    def __str__(self) -> str:
        arrow = "<-" if self.direction == self.Direction.IN else "->"
        return f"{arrow} {self.from_email} {self.subject!r}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    # The stored name never comes from the sender: a random name keeps paths unguessable and safe.
    import uuid

    return f"attachments/{instance.message.workspace_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, default="application/octet-stream")
    size = models.PositiveBigIntegerField(default=0)
    file = models.FileField(upload_to=attachment_upload_to, max_length=255)
    content_id = models.CharField(max_length=255, blank=True)
    is_inline = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.size} bytes)"


class Ticket(models.Model):
    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="ticket")
    name = models.CharField(max_length=998)
    pipeline = models.CharField(
        max_length=32, choices=TicketPipeline.choices, default=TicketPipeline.SUPPORT
    )
    status = models.CharField(max_length=32, choices=TicketStatus.choices, default=TicketStatus.NEW)
    priority = models.CharField(
        max_length=16, choices=TicketPriority.choices, default=TicketPriority.MEDIUM
    )
    category = models.CharField(
        max_length=32, choices=TicketCategory.choices, default=TicketCategory.NONE, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_tickets",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Ticket {self.name!r} ({self.get_status_display()})"


class BlockedSender(models.Model):
    """An address (someone@example.com) or a whole domain (example.com) whose mail we refuse."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="blocked_senders"
    )
    value = models.CharField(max_length=320)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["value"]
        constraints = [
            models.UniqueConstraint(
                Lower("value"), "workspace", name="blocked_sender_unique_per_workspace"
            )
        ]

    def __str__(self) -> str:
        return self.value

    @property
    def is_domain(self) -> bool:
        return "@" not in self.value
