"""factory_boy factories with minimal valid defaults."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from channels_cfg.models import EmailChannel, ForwardingAddress, ForwardingConfirmation
from helpdesk.models import Agent, Team, Workspace
from inbox.models import BlockedSender, Contact, InboundEmail, Message, Thread, Ticket


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Company {n}")
    company_name = factory.SelfAttribute("name")
    subdomain = factory.Sequence(lambda n: f"company{n}")
    plan = Workspace.Plan.PAID
    # Replies go out at once in tests; the undo-send tests opt in to a grace period.
    undo_send_seconds = 0


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Person"
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agent

    user = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    role = Agent.Role.AGENT


class AdminFactory(AgentFactory):
    role = Agent.Role.ADMIN


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class EmailChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailChannel

    workspace = factory.SubFactory(WorkspaceFactory)
    name = "Support"
    company_name = factory.Sequence(lambda n: f"Brand {n}")
    status = EmailChannel.Status.CONNECTED
    connected_at = factory.LazyFunction(timezone.now)


class ForwardingAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForwardingAddress

    channel = factory.SubFactory(EmailChannelFactory)
    address = factory.LazyAttribute(
        lambda fa: f"team-{fa.channel.pk}@{fa.channel.workspace.hosted_domain}"
    )
    locked_at = factory.LazyFunction(timezone.now)


class ForwardingConfirmationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForwardingConfirmation

    channel = factory.SubFactory(EmailChannelFactory)
    provider = ForwardingConfirmation.Provider.GMAIL
    requested_by = "owner@gmail.example"
    code = factory.Sequence(lambda n: f"{100000000 + n}")
    confirm_url = factory.Sequence(lambda n: f"https://mail-settings.google.com/mail/vf-{n}")
    received_at = factory.LazyFunction(timezone.now)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    workspace = factory.SubFactory(WorkspaceFactory)
    email = factory.Sequence(lambda n: f"customer{n}@example.org")
    name = factory.Sequence(lambda n: f"Customer {n}")


class ThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Thread

    workspace = factory.SubFactory(WorkspaceFactory)
    contact = factory.SubFactory(ContactFactory, workspace=factory.SelfAttribute("..workspace"))
    subject = factory.Sequence(lambda n: f"Question {n}")
    last_message_at = factory.LazyFunction(timezone.now)

    class Params:
        # A provider's forwarding confirmation: no contact, the code and link on the thread.
        # `ThreadFactory(contact=None)` builds any other contact-less thread (a bounce).
        confirmation = factory.Trait(
            contact=None,
            kind=Thread.Kind.FORWARDING_CONFIRMATION,
            channel=factory.SubFactory(
                EmailChannelFactory, workspace=factory.SelfAttribute("..workspace")
            ),
            forwarding_confirmation=factory.SubFactory(
                ForwardingConfirmationFactory, channel=factory.SelfAttribute("..channel")
            ),
            subject=factory.LazyAttribute(
                lambda thread: (
                    f"({thread.forwarding_confirmation.code}) Gmail Forwarding "
                    "Confirmation - Receive Mail from owner@gmail.example"
                )
            ),
        )


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    thread = factory.SubFactory(ThreadFactory)
    workspace = factory.SelfAttribute("thread.workspace")
    direction = Message.Direction.IN
    message_id = factory.Sequence(lambda n: f"<message-{n}@example.org>")
    from_email = factory.LazyAttribute(
        lambda message: (
            message.thread.contact.email
            if message.thread.contact
            else "forwarding-noreply@google.com"
        )
    )
    subject = factory.SelfAttribute("thread.subject")
    text = "Hello"
    created_at = factory.LazyFunction(timezone.now)


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    thread = factory.SubFactory(ThreadFactory)
    name = factory.SelfAttribute("thread.subject")


class InboundEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboundEmail

    esp = "test"
    envelope_recipient = "team@example.inbox.localhost"
    raw = b"From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n"
    size = factory.LazyAttribute(lambda row: len(row.raw))
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    idempotency_key = factory.Sequence(lambda n: f"{n:064x}")


class BlockedSenderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BlockedSender

    workspace = factory.SubFactory(WorkspaceFactory)
    value = factory.Sequence(lambda n: f"spammer{n}@example.net")
