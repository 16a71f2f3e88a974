"""Contacts, threads, messages, attachments, tickets, and the ledger of inbound mail."""

from __future__ import annotations

from typing import Any

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
        # Merged into another thread (merged_into): out of every view, kept so that mail
        # quoting its Message-IDs still threads (inbox.services.merge).
        MERGED = "merged", "Merged into another thread"

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
    # Set on a thread merged into another one (kind MERGED): where its page and its mail go.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_threads"
    )
    # Workspace labels an agent puts on the thread (inbox.services.tags).
    tags: models.ManyToManyField[Tag, Any] = models.ManyToManyField(
        "Tag", related_name="threads", blank=True
    )
    # Out of the open views until then (inbox.services.snooze); null: not snoozed.
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # Why it last woke ("ended", "replied"): the thread's banner, until the next message.
    woke_reason = models.CharField(max_length=16, blank=True)

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
            # The wake-up task's one query, and the Snoozed view: only snoozed threads are in them.
            models.Index(
                fields=["snoozed_until"],
                name="thread_snoozed_until",
                condition=models.Q(snoozed_until__isnull=False),
            ),
            models.Index(
                fields=["workspace", "-last_message_at", "-id"],
                name="thread_snoozed_list",
                condition=models.Q(snoozed_until__isnull=False),
            ),
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
    # Undo send: no task may claim the send before this time (the workspace's grace period).
    send_after = models.DateTimeField(null=True, blank=True)
    # A forward of the thread's mail to someone else (inbox.services.forwarding), not a reply.
    is_forward = models.BooleanField(default=False)
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


class Tag(models.Model):
    """A workspace's label for threads; names are unique per workspace, ignoring case."""

    # A fixed palette, each paired with text that passes WCAG AA on it (static/css/inbox.css):
    # a tag is always shown with its name, never by colour alone.
    class Colour(models.TextChoices):
        GREY = "grey", "Grey"
        RED = "red", "Red"
        ORANGE = "orange", "Orange"
        YELLOW = "yellow", "Yellow"
        GREEN = "green", "Green"
        TEAL = "teal", "Teal"
        BLUE = "blue", "Blue"
        PURPLE = "purple", "Purple"
        PINK = "pink", "Pink"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=50)
    colour = models.CharField(max_length=8, choices=Colour.choices, default=Colour.GREY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "workspace", name="tag_name_unique_per_workspace"
            )
        ]

    def __str__(self) -> str:
        return self.name


class BulkAction(models.Model):
    """One change an agent applied to several threads at once, with each thread's state before
    it, so that the change can be undone for a few seconds (inbox.services.bulk)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16)
    created_at = models.DateTimeField()
    # {"<thread id>": {"status": "open", "assignee_id": 3, ...}}: what undo puts back.
    previous = models.JSONField(default=dict, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.action} of {len(self.previous)} threads at {self.created_at:%H:%M:%S}"


class Notification(models.Model):
    """Something an agent should know about a thread (the bell, and the emails about it).

    Written by `inbox.services.notifications.notify` only. A row exists for every notification
    the recipient wants in the bell (`in_app`) or by email (`email_pending` until an email
    carried it), so one email can summarise the rows it batched.
    """

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "A conversation is assigned to me"
        CUSTOMER_REPLIED = "customer_replied", "A customer replies on my conversation"
        MENTIONED = "mentioned", "I am mentioned in a note"
        DELIVERY_FAILED = "delivery_failed", "A reply I sent failed to deliver"

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # No index of its own: notification_unread and notification_recipient_list lead with it.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    in_app = models.BooleanField(default=True)
    email_pending = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The bell's poll: count and newest id of my unread rows (a handful at any time).
            models.Index(
                fields=["recipient", "id"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True, in_app=True),
            ),
            models.Index(fields=["recipient", "-id"], name="notification_recipient_list"),
            # The email batcher: what is still waiting for an email, per recipient and thread.
            models.Index(
                fields=["recipient", "thread"],
                name="notification_email_pending",
                condition=models.Q(email_pending=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.thread_id} for {self.recipient_id}"


class NotificationPreference(models.Model):
    """How an agent wants to hear about one kind of event; no row: the defaults."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=24, choices=Notification.Kind.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: in-app {self.in_app}, email {self.email}"


class NotificationEmailWindow(models.Model):
    """When we last emailed an agent about a thread: at most one email per 5 minutes each.

    The row is the lock (select_for_update) that keeps two workers from both sending, and
    `flush_at` says a deferred summary is already scheduled, so a burst schedules one task.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    last_sent_at = models.DateTimeField(null=True, blank=True)
    flush_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "thread"], name="notification_email_window_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} on #{self.thread_id}: last email {self.last_sent_at}"


class SavedReply(models.Model):
    """A reusable answer: shared with the workspace (`owner` empty) or personal to its owner.

    The body is the composer's HTML with tokens (`{{contact.first_name}}`) filled in when it is
    inserted into a reply (inbox/saved_reply_tokens.py)."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="saved_replies", db_index=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="saved_replies",
    )
    name = models.CharField(max_length=120)
    body_html = models.TextField()
    usage_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["workspace", "name"], name="saved_reply_workspace_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None


class SavedReplyAttachment(models.Model):
    """A file that goes with a saved reply: attached to the reply it is inserted into."""

    saved_reply = models.ForeignKey(
        SavedReply, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to="saved_replies/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, default="application/octet-stream")
    size = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.filename


class Note(models.Model):
    """An agents-only remark on a thread. Its own table, not a kind of Message: nothing that
    builds, sends or quotes mail reads it, so a note cannot leak into what the customer gets."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # No single-column index: note_thread_order leads with it.
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="notes", db_index=False
    )
    # Null once the author's login is deleted: the note stays, "a former agent" wrote it.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "created_at", "id"], name="note_thread_order")]

    def __str__(self) -> str:
        return f"Note #{self.pk} on #{self.thread_id}"


def note_attachment_upload_to(instance: NoteAttachment, filename: str) -> str:
    # As for mail attachments: a random stored name, never the uploader's.
    import uuid

    return f"note-attachments/{instance.note.workspace_id}/{uuid.uuid4().hex}"


class NoteAttachment(models.Model):
    """A file on a note; its own model so that no outbound code path can ever attach it."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, default="application/octet-stream")
    size = models.PositiveBigIntegerField(default=0)
    file = models.FileField(upload_to=note_attachment_upload_to, max_length=255)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.size} bytes)"


class Mention(models.Model):
    """A note names an agent or a team: stored when the note is saved, never re-parsed."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The "@Name" inserted in the body when it was chosen: the chip the body shows.
    label = models.CharField(max_length=255)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, team__isnull=True)
                | models.Q(user__isnull=True, team__isnull=False),
                name="mention_user_xor_team",
            ),
            models.UniqueConstraint(
                fields=["note", "user"],
                condition=models.Q(user__isnull=False),
                name="mention_unique_user",
            ),
            models.UniqueConstraint(
                fields=["note", "team"],
                condition=models.Q(team__isnull=False),
                name="mention_unique_team",
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.label} in note #{self.note_id}"
