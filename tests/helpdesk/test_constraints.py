"""The database itself refuses what the domain forbids (run on SQLite locally, PostgreSQL in CI)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from channels_cfg.models import EmailChannel, ForwardingAddress
from inbox.models import Contact, InboundEmail, Ticket
from tests.factories import (
    ContactFactory,
    EmailChannelFactory,
    ForwardingAddressFactory,
    InboundEmailFactory,
    ThreadFactory,
    TicketFactory,
    WorkspaceFactory,
)

pytestmark = pytest.mark.django_db


def test_forwarding_address_is_unique() -> None:
    first = ForwardingAddressFactory()
    other_channel = EmailChannelFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ForwardingAddress.objects.create(channel=other_channel, address=first.address)


def test_forwarding_address_must_be_lower_case() -> None:
    channel = EmailChannelFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ForwardingAddress.objects.create(channel=channel, address="Team@Acme.inbox.localhost")


def test_from_name_is_unique_per_workspace_ignoring_case() -> None:
    workspace = WorkspaceFactory()
    EmailChannelFactory(workspace=workspace, company_name="Acme")
    with pytest.raises(IntegrityError), transaction.atomic():
        EmailChannelFactory(workspace=workspace, company_name="ACME")


def test_same_from_name_is_allowed_in_another_workspace_and_for_drafts() -> None:
    workspace = WorkspaceFactory()
    EmailChannelFactory(workspace=workspace, company_name="Acme")
    EmailChannelFactory(company_name="Acme")
    draft = EmailChannelFactory(
        workspace=workspace, company_name="acme", status=EmailChannel.Status.DRAFT
    )
    assert draft.pk


def test_contact_email_is_unique_per_workspace_ignoring_case() -> None:
    contact = ContactFactory(email="Maria@Example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(workspace=contact.workspace, email="maria@example.COM")
    assert ContactFactory(email="maria@example.com").pk  # another workspace


def test_one_ticket_per_thread() -> None:
    ticket = TicketFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.create(thread=ticket.thread, name="again")


def test_inbound_idempotency_key_is_unique() -> None:
    row = InboundEmailFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        InboundEmailFactory(idempotency_key=row.idempotency_key)


def test_esp_event_id_is_unique_per_esp_but_blank_ids_are_not() -> None:
    InboundEmailFactory(esp="mailgun", esp_event_id="evt-1")
    InboundEmailFactory(esp="postmark", esp_event_id="evt-1")
    InboundEmailFactory(esp="mailgun", esp_event_id="")
    InboundEmailFactory(esp="mailgun", esp_event_id="")
    with pytest.raises(IntegrityError), transaction.atomic():
        InboundEmailFactory(esp="mailgun", esp_event_id="evt-1")
    assert InboundEmail.objects.count() == 4


def test_str_of_models_is_readable() -> None:
    thread = ThreadFactory(subject="Refund")
    assert "Refund" in str(thread)
    assert str(thread.contact.email) in str(thread.contact)
