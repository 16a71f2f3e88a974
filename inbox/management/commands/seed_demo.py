"""Create (or refresh) the demo workspace: Acme, its people, a connected channel and a few threads."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from channels_cfg.models import EmailChannel, ForwardingAddress
from channels_cfg.services.channels import channel_mark_inbound
from channels_cfg.signature import token_marker
from helpdesk.models import Agent, Team, Workspace
from inbox.models import Contact, Message, Thread, Ticket

User = get_user_model()

DEMO_SUBDOMAIN = "demo"
DEMO_PEOPLE = [
    # username, first, last, role
    ("admin", "Ada", "Admin", Agent.Role.ADMIN),
    ("alice", "Alice", "Agent", Agent.Role.AGENT),
    ("bob", "Bob", "Agent", Agent.Role.AGENT),
]
DEMO_CONTACTS = [
    ("maria.garcia@example.com", "María García", "Invoice 4471 charged twice", 2),
    ("kenji@example.org", "Kenji Watanabe", "Can't reset my password", 1),
    ("ops@customer.example.net", "", "Webhook retries after the outage", 3),
]
CREDENTIALS_FILE = Path(settings.BASE_DIR) / "var" / "demo-credentials.json"


@dataclass(frozen=True)
class DemoPasswords:
    admin: str
    agent: str


def _demo_passwords() -> DemoPasswords:
    """From DEMO_ADMIN_PASSWORD / DEMO_AGENT_PASSWORD, else the ones generated on the first run."""
    stored: dict[str, str] = {}
    if CREDENTIALS_FILE.exists():
        stored = json.loads(CREDENTIALS_FILE.read_text())
    admin = (
        os.environ.get("DEMO_ADMIN_PASSWORD") or stored.get("admin") or secrets.token_urlsafe(12)
    )
    agent = (
        os.environ.get("DEMO_AGENT_PASSWORD") or stored.get("agent") or secrets.token_urlsafe(12)
    )
    CREDENTIALS_FILE.parent.mkdir(parents=True, exist_ok=True)
    CREDENTIALS_FILE.write_text(json.dumps({"admin": admin, "agent": agent}))
    CREDENTIALS_FILE.chmod(0o600)
    return DemoPasswords(admin=admin, agent=agent)


class Command(BaseCommand):
    help = "Create or refresh the demo workspace (idempotent). --json prints one line of JSON."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print one line of JSON only")

    def handle(self, *args: Any, **options: Any) -> None:
        passwords = _demo_passwords()
        with transaction.atomic():
            summary = seed_demo(passwords)
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(self.style.SUCCESS("Demo workspace ready."))
        self.stdout.write(f"  Log in as {summary['admin_username']} / {summary['admin_password']}")
        self.stdout.write(f"  Agents: alice, bob / {passwords.agent}")
        self.stdout.write(f"  Forwarding address: {summary['forwarding_address']}")


def seed_demo(passwords: DemoPasswords) -> dict[str, Any]:
    workspace, _ = Workspace.objects.update_or_create(
        subdomain=DEMO_SUBDOMAIN,
        defaults={"name": "Acme", "company_name": "Acme", "plan": Workspace.Plan.PAID},
    )
    users = [_person(workspace, person, passwords) for person in DEMO_PEOPLE]
    team, _ = Team.objects.get_or_create(workspace=workspace, name="Support")
    team.members.add(*users[1:])
    channel = _channel(workspace, creator=users[0])
    channel.assign_teams.add(team)
    _threads(workspace, channel, users)
    _mark_last_inbound(channel)
    return {
        "workspace": workspace.subdomain,
        "forwarding_address": channel.forwarding_address.address,
        "admin_username": users[0].get_username(),
        "admin_password": passwords.admin,
        "channel_id": channel.pk,
        "agent_emails": [user.email for user in users],
    }


def _person(
    workspace: Workspace, person: tuple[str, str, str, str], passwords: DemoPasswords
) -> Any:
    username, first, last, role = person
    user, _ = User.objects.get_or_create(username=username)
    user.first_name, user.last_name = first, last
    user.email = f"{username}@acme.example"
    password = passwords.admin if role == Agent.Role.ADMIN else passwords.agent
    if not user.check_password(password):
        user.set_password(password)
    user.save()
    Agent.objects.update_or_create(user=user, defaults={"workspace": workspace, "role": role})
    return user


def _channel(workspace: Workspace, creator: Any) -> EmailChannel:
    address = f"acme-support@{workspace.hosted_domain}"
    existing = ForwardingAddress.objects.filter(address=address).select_related("channel").first()
    if existing:
        return existing.channel
    now = timezone.now()
    channel = EmailChannel.objects.create(
        workspace=workspace,
        name="Support",
        status=EmailChannel.Status.CONNECTED,
        company_name="Acme",
        default_from_username="support",
        signature_html=f"<p>Best,<br>{token_marker('first_name')} from the Acme team</p>",
        auto_assign=True,
        created_by=creator,
        connected_at=now,
    )
    ForwardingAddress.objects.create(channel=channel, address=address, locked_at=now)
    return channel


def _mark_last_inbound(channel: EmailChannel) -> None:
    """The channel list's "Last mail" reads what the pipeline would have written for the seeded
    mail (it said "No mail yet" beside a channel full of threads)."""
    latest = Message.objects.filter(
        thread__channel=channel, direction=Message.Direction.IN
    ).aggregate(latest=Max("created_at"))["latest"]
    if latest is not None:
        channel_mark_inbound(channel_id=channel.pk, at=latest)  # never moves it backwards


def _threads(workspace: Workspace, channel: EmailChannel, users: list[Any]) -> None:
    now = timezone.now()
    for index, (email, name, subject, message_count) in enumerate(DEMO_CONTACTS):
        contact, _ = Contact.objects.get_or_create(
            workspace=workspace, email=email, defaults={"name": name}
        )
        if Thread.objects.filter(workspace=workspace, contact=contact, subject=subject).exists():
            continue
        started = now - timedelta(hours=6 * (index + 1))
        thread = Thread.objects.create(
            workspace=workspace,
            channel=channel,
            contact=contact,
            subject=subject,
            assignee=users[1] if index == 0 else None,
            last_message_at=started,
        )
        for number in range(message_count):
            body = f"Hello, this is message {number + 1} about: {subject}."
            Message.objects.create(
                workspace=workspace,
                thread=thread,
                direction=Message.Direction.IN,
                message_id=f"<demo-{index}-{number}@{email.split('@')[1]}>",
                from_email=email,
                from_name=name,
                to=channel.forwarding_address.address,
                subject=subject,
                text=body,
                created_at=started + timedelta(minutes=20 * number),
            )
            thread.last_message_at = started + timedelta(minutes=20 * number)
            thread.snippet = body[:200]
        thread.message_count = message_count
        thread.save()
        Ticket.objects.create(
            thread=thread,
            name=subject,
            pipeline=channel.ticket_pipeline,
            status=channel.ticket_status,
            priority=channel.ticket_priority,
        )
