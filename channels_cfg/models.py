"""Team email channels: how a team's mailbox is connected, and what replies look like."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from helpdesk.models import Team, Workspace


class TicketPipeline(models.TextChoices):
    SUPPORT = "support", "Support pipeline"


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    WAITING_ON_CONTACT = "waiting_on_contact", "Waiting on contact"
    WAITING_ON_US = "waiting_on_us", "Waiting on us"
    CLOSED = "closed", "Closed"


class TicketPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class TicketCategory(models.TextChoices):
    NONE = "", "No category"
    QUESTION = "question", "General question"
    PROBLEM = "problem", "Product problem"
    BILLING = "billing", "Billing"
    FEATURE_REQUEST = "feature_request", "Feature request"


class EmailChannel(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        CONNECTED = "connected", "Connected"
        DISCONNECTED = "disconnected", "Disconnected"

    class FromNameMode(models.TextChoices):
        AGENT_AND_COMPANY = "agent_and_company", "Agent and company name"
        COMPANY = "company", "Company name"

    class FromAddressMode(models.TextChoices):
        DEFAULT = "default", "Use default"
        CUSTOM = "custom", "Customize"

    class AssignMode(models.TextChoices):
        USERS_AND_TEAMS = "users_and_teams", "Specific users and teams"
        CONTACT_OWNER = "contact_owner", "Contact owner"

    class AttributeTo(models.TextChoices):
        ORIGINAL_SENDER = "original_sender", "The original sender"
        FORWARDER = "forwarder", "The forwarding mailbox"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    name = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    from_name_mode = models.CharField(
        max_length=20, choices=FromNameMode.choices, default=FromNameMode.AGENT_AND_COMPANY
    )
    company_name = models.CharField(max_length=120, blank=True)
    from_address_mode = models.CharField(
        max_length=8, choices=FromAddressMode.choices, default=FromAddressMode.DEFAULT
    )
    # The local part of the default from address (<username>@<subdomain>.<hosted domain>).
    default_from_username = models.CharField(max_length=64, blank=True)
    custom_from_address = models.EmailField(blank=True)
    from_address_verified_at = models.DateTimeField(null=True, blank=True)
    signature_html = models.TextField(blank=True)
    auto_assign = models.BooleanField(default=False)
    assign_mode = models.CharField(
        max_length=16, choices=AssignMode.choices, default=AssignMode.USERS_AND_TEAMS
    )
    assign_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigning_channels"
    )
    assign_teams = models.ManyToManyField(Team, blank=True, related_name="assigning_channels")
    # Round robin position: the user id last given a thread, persisted so that several worker
    # processes share one fair rotation (updated under select_for_update).
    round_robin_last_user_id = models.BigIntegerField(null=True, blank=True)
    create_tickets = models.BooleanField(default=True)
    ticket_pipeline = models.CharField(
        max_length=32, choices=TicketPipeline.choices, default=TicketPipeline.SUPPORT
    )
    ticket_status = models.CharField(
        max_length=32, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    ticket_priority = models.CharField(
        max_length=16, choices=TicketPriority.choices, default=TicketPriority.MEDIUM
    )
    ticket_category = models.CharField(
        max_length=32, choices=TicketCategory.choices, default=TicketCategory.NONE, blank=True
    )
    attribute_to = models.CharField(
        max_length=16, choices=AttributeTo.choices, default=AttributeTo.ORIGINAL_SENDER
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    # "Send test email": the token the test mail carries, and when it came back through forwarding.
    test_email_token = models.CharField(max_length=64, blank=True)
    test_email_sent_at = models.DateTimeField(null=True, blank=True)
    test_email_received_at = models.DateTimeField(null=True, blank=True)
    # When the workspace's admins were last told the channel went quiet (one mail per quiet spell).
    quiet_alerted_at = models.DateTimeField(null=True, blank=True)
    # The team's own mailbox that forwards to us (support@acme.com): where "Send test email"
    # goes, so that its return proves forwarding works end to end.
    team_address = models.EmailField(blank=True)
    # The provider chosen in the wizard's last step, so a reload shows the same instructions.
    provider = models.CharField(max_length=24, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A from name is unique among a workspace's hosted channels (drafts are checked when
            # they connect, so an abandoned draft never blocks a name).
            models.UniqueConstraint(
                Lower("company_name"),
                "workspace",
                condition=~models.Q(status="draft"),
                name="channel_from_name_unique_per_workspace",
            )
        ]
        indexes = [models.Index(fields=["workspace", "status"])]

    def __str__(self) -> str:
        return f"{self.name or self.company_name or 'Team email'} ({self.get_status_display()})"

    @property
    def default_from_address(self) -> str:
        username = self.default_from_username or "support"
        return f"{username}@{self.workspace.hosted_domain}"

    @property
    def from_address(self) -> str:
        if self.from_address_mode == self.FromAddressMode.CUSTOM and self.custom_from_address:
            return self.custom_from_address
        return self.default_from_address

    def from_name_for(self, agent_full_name: str) -> str:
        """The display name replies carry when the given agent sends them."""
        if self.from_name_mode == self.FromNameMode.AGENT_AND_COMPANY and agent_full_name:
            return f"{agent_full_name} at {self.company_name}"
        return self.company_name


class ForwardingAddress(models.Model):
    channel = models.OneToOneField(
        EmailChannel, on_delete=models.CASCADE, related_name="forwarding_address"
    )
    address = models.EmailField(max_length=254, unique=True)
    locked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(address=Lower("address")),
                name="forwarding_address_lower_case",
            )
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class FromAddressVerification(models.Model):
    channel = models.ForeignKey(
        EmailChannel, on_delete=models.CASCADE, related_name="from_address_verifications"
    )
    address = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        state = "verified" if self.verified_at else "pending"
        return f"{self.address} ({state})"


class SendingDomain(models.Model):
    """A domain the workspace sends from: its DKIM key, and what the last DNS check found.

    `verified` means the DKIM and SPF records were found as we asked on the last check: custom
    from addresses on the domain need no verification mail, and replies from it are signed.
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="sending_domains"
    )
    domain = models.CharField(max_length=253)
    verified = models.BooleanField(default=False)
    dkim_selector = models.CharField(max_length=63, blank=True)
    # Encrypted with a key derived from SECRET_KEY (channels_cfg/dkim.py): a database dump alone
    # does not give away the key, at the price that rotating SECRET_KEY needs the old one kept in
    # SECRET_KEY_FALLBACKS. Never rendered anywhere (the admin excludes it).
    dkim_private_key = models.TextField(blank=True)
    # Base64 DER of the public key: the `p=` of the DKIM TXT record.
    dkim_public_key = models.TextField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # {"dkim": {"state": "ok" | "missing" | "wrong" | "error", "found": [...]}, "spf": ..., ...}
    last_check_result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(
                Lower("domain"), "workspace", name="sending_domain_unique_per_workspace"
            )
        ]

    def __str__(self) -> str:
        return f"{self.domain} ({'verified' if self.verified else 'unverified'})"


class ForwardingConfirmation(models.Model):
    class Provider(models.TextChoices):
        GMAIL = "gmail", "Gmail"
        OUTLOOK = "outlook", "Outlook"
        YAHOO = "yahoo", "Yahoo"
        ICLOUD = "icloud", "iCloud"
        ZOHO = "zoho", "Zoho"
        FASTMAIL = "fastmail", "Fastmail"
        OTHER = "other", "Other"

    channel = models.ForeignKey(
        EmailChannel, on_delete=models.CASCADE, related_name="forwarding_confirmations"
    )
    provider = models.CharField(max_length=16, choices=Provider.choices)
    requested_by = models.CharField(max_length=254, blank=True)
    code = models.CharField(max_length=64, blank=True)
    confirm_url = models.URLField(max_length=2000, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["channel", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} code {self.code or '-'} for {self.requested_by}"

    @property
    def source_label(self) -> str:
        """Who sent it, as the wizard names it: a provider we recognised, or "your provider"."""
        if self.provider == self.Provider.OTHER:
            return "your provider"
        return str(self.get_provider_display())

    @property
    def confirm_host(self) -> str:
        """The link's host, shown beside it: only Gmail's sender is known for sure, so the admin
        sees where the link goes before opening it."""
        return urlsplit(self.confirm_url).hostname or ""


def signature_image_upload_to(instance: SignatureImage, filename: str) -> str:
    # The stored name never comes from the uploader: a random name keeps paths unguessable.
    import uuid

    return f"signature-images/{instance.channel.workspace_id}/{uuid.uuid4().hex}"


class SignatureImage(models.Model):
    """An image of a channel's signature (a logo): shown to agents from our URL, sent to contacts
    as an inline part of each reply (a `cid:` image), so their mail client loads nothing remote."""

    channel = models.ForeignKey(
        EmailChannel, on_delete=models.CASCADE, related_name="signature_images"
    )
    file = models.FileField(upload_to=signature_image_upload_to, max_length=255)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"signature image {self.pk} ({self.content_type}, {self.size} bytes)"
