"""Create (or refresh) the demo workspace: Acme, its people, a connected channel and a few threads."""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from channels_cfg.models import EmailChannel, ForwardingAddress
from channels_cfg.services.channels import channel_mark_inbound
from channels_cfg.signature import token_marker
from helpdesk.models import Agent, Team, Workspace
from inbox.models import Contact, InboundEmail, Message, SavedReply, Thread, ThreadEvent, Ticket
from inbox.services.events import thread_event_record

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
    _history(workspace, channel, users)
    _rejected_history(workspace, channel)
    _saved_replies(workspace)
    _demo_tags(workspace)
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


HISTORY_DAYS = 28
HISTORY_THREADS = 60
HISTORY_CONTACTS = [
    ("lena.fischer@example.de", "Lena Fischer"),
    ("tom@example.co.uk", "Tom Baker"),
    ("priya.nair@example.in", "Priya Nair"),
    ("jo@example.net", "Jo Park"),
    ("support@partner.example", ""),
    ("sam.okafor@example.com", "Sam Okafor"),
]
HISTORY_SUBJECTS = [
    "Refund for order {n}",
    "Cannot log in since the update",
    "Invoice {n} has the wrong address",
    "Export to CSV times out",
    "Question about the annual plan",
    "Delivery {n} arrived damaged",
]
REPLY_HOURS = (0.2, 0.5, 1, 2, 3, 5, 8, 20, 30)


def _history(workspace: Workspace, channel: EmailChannel, users: list[Any]) -> None:
    """Four weeks of conversations for the reports: replies after varied delays, assignments,
    closes and a few reopens, recorded as the services record them. Seeded once: the first
    message's Message-ID marks a history thread as made."""
    ids = [f"<demo-history-{n}@acme.example>" for n in range(HISTORY_THREADS)]
    made = set(
        Message.objects.filter(workspace=workspace, message_id__in=ids).values_list(
            "message_id", flat=True
        )
    )
    if len(made) == len(ids):
        return
    contacts = [
        Contact.objects.get_or_create(workspace=workspace, email=email, defaults={"name": name})[0]
        for email, name in HISTORY_CONTACTS
    ]
    rng, now = random.Random(16), timezone.now()
    for n, message_id in enumerate(ids):
        started = now - timedelta(days=rng.uniform(0.2, HISTORY_DAYS - 0.1))
        plan = _history_plan(rng, started, now)
        if message_id not in made:
            contact = contacts[n % len(contacts)]
            subject = HISTORY_SUBJECTS[n % len(HISTORY_SUBJECTS)].format(n=4000 + n)
            _history_thread(workspace, channel, users, contact, subject, message_id, plan)


def _history_plan(rng: random.Random, started: Any, now: Any) -> dict[str, Any]:
    """When each thing happens to one history thread (None: it does not happen)."""
    replied = started + timedelta(hours=rng.choice(REPLY_HOURS)) if rng.random() < 0.85 else None
    closed = None
    if replied is not None and rng.random() < 0.7:
        closed = replied + timedelta(hours=rng.uniform(0.5, 48))
    reopened = (
        closed + timedelta(hours=rng.uniform(2, 30)) if closed and rng.random() < 0.15 else None
    )
    closed_again = reopened + timedelta(hours=6) if reopened and rng.random() < 0.5 else None
    return {
        "started": started,
        "assignee": rng.choice((1, 2, None)),
        "replied": replied,
        "closed": closed,
        "reopened": reopened,
        "closed_again": closed_again,
        "now": now,
    }


def _history_thread(
    workspace: Workspace,
    channel: EmailChannel,
    users: list[Any],
    contact: Contact,
    subject: str,
    message_id: str,
    plan: dict[str, Any],
) -> None:
    started, now = plan["started"], plan["now"]
    assignee = users[plan["assignee"]] if plan["assignee"] else None
    thread = Thread.objects.create(
        workspace=workspace,
        channel=channel,
        contact=contact,
        subject=subject,
        assignee=assignee,
        last_message_at=started,
        snippet=f"Hello, about: {subject}.",
    )
    Thread.objects.filter(pk=thread.pk).update(created_at=started)  # auto_now_add otherwise
    thread.created_at = started
    Message.objects.create(
        workspace=workspace,
        thread=thread,
        direction=Message.Direction.IN,
        message_id=message_id,
        from_email=contact.email,
        from_name=contact.name,
        to=channel.forwarding_address.address,
        subject=subject,
        text=f"Hello, about: {subject}.",
        created_at=started,
    )
    replier = assignee or users[1]
    if plan["replied"] is not None and plan["replied"] < now:
        Message.objects.create(
            workspace=workspace,
            thread=thread,
            direction=Message.Direction.OUT,
            from_email=channel.forwarding_address.address,
            subject=f"Re: {subject}",
            text="Thanks for writing in, we are on it.",
            sent_by=replier,
            delivery_status=Message.DeliveryStatus.SENT,
            sent_at=plan["replied"],
            created_at=plan["replied"],
        )
        thread.last_message_at = plan["replied"]
    if assignee is not None:
        at = started + timedelta(minutes=10)
        _event(thread, ThreadEvent.Kind.ASSIGNED, users[0], at, {"assignee_id": assignee.pk})
    status = Thread.Status.OPEN
    for kind, key in (("closed", "closed"), ("reopened", "reopened"), ("closed", "closed_again")):
        if plan[key] is not None and plan[key] < now:
            _event(thread, kind, replier, plan[key], {})
            status = Thread.Status.CLOSED if kind == "closed" else Thread.Status.OPEN
    thread.status = status
    thread.message_count = thread.messages.count()
    thread.save(update_fields=["status", "message_count", "last_message_at"])


def _event(thread: Thread, kind: str, actor: Any, at: Any, data: dict[str, Any]) -> None:
    thread_event_record(thread=thread, kind=kind, actor_id=actor.pk, at=at, data=data)


DEMO_REJECTED = [
    # days ago, reason code, sentence, from, subject
    (2, "spam", "The ESP marked it as spam (score 9.1).", "deals@bulk.example", "You won!"),
    (5, "blocked_sender", "The sender is on the blocked senders list.", "x@evil.example", "Hi"),
    (9, "spam", "The ESP marked it as spam (score 7.4).", "promo@bulk.example", "Last chance"),
    (13, "too_large", "The message is larger than 30 MB.", "designer@example.com", "Mockups"),
    (20, "spam", "The ESP marked it as spam (score 12.0).", "win@bulk.example", "Claim now"),
    (26, "blocked_sender", "The sender is on the blocked senders list.", "x@evil.example", "Re"),
]


def _rejected_history(workspace: Workspace, channel: EmailChannel) -> None:
    """A few refused deliveries over the four weeks, for the rejected-mail report and log."""
    now = timezone.now()
    for n, (days_ago, reason, detail, sender, subject) in enumerate(DEMO_REJECTED):
        key = hashlib.sha256(f"demo-rejected-{n}".encode()).hexdigest()
        if InboundEmail.objects.filter(idempotency_key=key).exists():
            continue
        raw = f"From: {sender}\r\nSubject: {subject}\r\n\r\nHello\r\n".encode()
        row = InboundEmail.objects.create(
            esp="smtp",
            envelope_recipient=channel.forwarding_address.address,
            envelope_sender=sender,
            raw=raw,
            size=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(),
            idempotency_key=key,
            status=InboundEmail.Status.REJECTED,
            reason_code=reason,
            reason_detail=detail,
            from_header=sender,
            subject=subject,
            workspace=workspace,
            channel=channel,
            processed_at=now,
        )
        InboundEmail.objects.filter(pk=row.pk).update(received_at=now - timedelta(days=days_ago))


DEMO_SAVED_REPLIES = [
    (
        "Thanks, we are on it",
        "<div>Hi {{contact.first_name}},</div><div>thanks for writing in. We are looking into it "
        "and will get back to you today.</div><div>{{agent.first_name}} at {{channel.name}}</div>",
    ),
    (
        "Password reset steps",
        "<div>Hi {{contact.first_name}},</div><div>to reset your password:</div><ol>"
        "<li>Open the sign-in page and choose <strong>Forgot password</strong>.</li>"
        "<li>Enter the address you signed up with.</li><li>Follow the link we email you "
        "within 15 minutes.</li></ol><div>Best,<br>{{agent.full_name}}</div>",
    ),
    (
        "Refund on its way",
        "<div>Hi {{contact.first_name}},</div><div>we have refunded the duplicate charge "
        "(ticket #{{ticket.id}}). It shows on your statement within 5 business days.</div>"
        "<div>{{agent.first_name}}</div>",
    ),
]


def _saved_replies(workspace: Workspace) -> None:
    """A few shared saved replies (tokens included), so the composer's picker has something."""
    for name, body in DEMO_SAVED_REPLIES:
        SavedReply.objects.update_or_create(
            workspace=workspace, owner=None, name=name, defaults={"body_html": body}
        )


# Tags for the demo: a subject word puts a thread under a tag (inbox.services.tags for real use).
DEMO_TAGS = [
    ("Billing", "blue", ("Refund", "Invoice", "annual plan")),
    ("Bug", "red", ("Cannot log in", "times out")),
    ("Shipping", "orange", ("Delivery",)),
]


def _demo_tags(workspace: Workspace) -> None:
    from inbox.models import Tag

    through = Thread.tags.through
    for name, colour, words in DEMO_TAGS:
        tag, _ = Tag.objects.get_or_create(
            workspace=workspace, name=name, defaults={"colour": colour}
        )
        any_word = Q()
        for word in words:
            any_word |= Q(subject__icontains=word)
        matching = Thread.objects.filter(any_word, workspace=workspace)
        through.objects.bulk_create(
            [through(thread_id=pk, tag_id=tag.pk) for pk in matching.values_list("pk", flat=True)],
            ignore_conflicts=True,
        )
