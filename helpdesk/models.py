"""The workspace core: tenants, their teams and their agents."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

subdomain_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
    "Use lower-case letters, digits and inner hyphens only (at most 63 characters).",
)


def time_zone_validator(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name (e.g. Europe/Berlin).")


class Workspace(models.Model):
    class Plan(models.TextChoices):
        FREE = "free", "Free"
        PAID = "paid", "Paid"

    name = models.CharField(max_length=120)
    company_name = models.CharField(max_length=120)
    subdomain = models.SlugField(max_length=63, unique=True, validators=[subdomain_validator])
    plan = models.CharField(max_length=8, choices=Plan.choices, default=Plan.FREE)
    # ESP spam scores at or above this are rejected as spam (where the ESP adds the score itself).
    spam_threshold = models.FloatField(default=5.0)
    # An IANA name ("Europe/Berlin"): where the reports' days begin and end.
    time_zone = models.CharField(max_length=64, default="UTC", validators=[time_zone_validator])
    # Threads left waiting on the contact this many days are closed by a beat task; None: never.
    auto_close_waiting_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # A reply waits this long before it is sent, so the agent can undo it; 0 sends at once.
    undo_send_seconds = models.PositiveSmallIntegerField(default=10)
    # Opening hours per weekday in `time_zone` (reports.business_hours); {}: none, and reports
    # count first response times in calendar time.
    business_hours = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.subdomain})"

    @property
    def hosted_domain(self) -> str:
        """The domain our hosted addresses for this workspace live under."""
        base = (
            settings.HOSTED_INBOX_DOMAIN
            if self.plan == self.Plan.PAID
            else settings.HOSTED_INBOX_FREE_DOMAIN
        )
        return f"{self.subdomain}.{base}"


class Agent(models.Model):
    """A person of a workspace: an agent, or an admin who also manages channels."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        AGENT = "agent", "Agent"

    class Availability(models.TextChoices):
        AVAILABLE = "available", "Available"
        AWAY = "away", "Away"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="agents")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.AGENT)
    availability = models.CharField(
        max_length=10, choices=Availability.choices, default=Availability.AVAILABLE
    )
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # An IANA name for the agent's own clock (snooze times); blank: the workspace's.
    time_zone = models.CharField(
        max_length=64, blank=True, default="", validators=[time_zone_validator]
    )

    class Meta:
        indexes = [models.Index(fields=["workspace", "availability"])]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.user.email}> ({self.role}, {self.workspace.subdomain})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def is_available(self) -> bool:
        return self.availability == self.Availability.AVAILABLE

    @property
    def full_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def first_name(self) -> str:
        return self.user.first_name or self.full_name.split(" ")[0]


class Team(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="helpdesk_teams", blank=True
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                models.functions.Lower("name"), "workspace", name="team_name_unique_per_workspace"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.workspace.subdomain})"
