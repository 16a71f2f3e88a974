"""The lookups every delivery makes are written in SQL (the channel lookup in
inbox.selectors.inbound, the claim in inbox.services.intake): what they load must be exactly what the ORM loads, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from django.utils import timezone

from channels_cfg.models import EmailChannel
from helpdesk.models import Workspace
from inbox.models import Contact, InboundEmail
from inbox.selectors.inbound import channel_get_for_forwarding_address
from inbox.services.intake import inbound_email_claim
from tests.factories import (
    BlockedSenderFactory,
    ContactFactory,
    ForwardingAddressFactory,
    MessageFactory,
    ThreadFactory,
)
from tests.inbox.inbound.conftest import store_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(channel):
    """The inbox's channel, reachable at a forwarding address."""
    ForwardingAddressFactory(channel=channel)
    return channel


def field_values(instance) -> dict[str, object]:
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields
    }


def test_the_channel_lookup_loads_what_the_orm_loads(channel):
    EmailChannel.objects.filter(pk=channel.pk).update(
        connected_at=timezone.now(), auto_assign=True, signature_html="<p>Hi</p>"
    )
    delivery = channel_get_for_forwarding_address(channel.forwarding_address.address.upper())
    found = delivery.channel
    expected = EmailChannel.objects.select_related("workspace", "forwarding_address").get(
        pk=channel.pk
    )
    assert field_values(found) == field_values(expected)
    assert field_values(found.workspace) == field_values(expected.workspace)
    assert field_values(found.forwarding_address) == field_values(expected.forwarding_address)
    assert found.connected_at.tzinfo is not None and found.auto_assign is True
    assert (delivery.blocked_rule, delivery.is_duplicate) == (None, False)


def test_the_channel_lookup_loads_its_relations_without_more_queries(
    channel, django_assert_num_queries
):
    with django_assert_num_queries(1):
        found = channel_get_for_forwarding_address(channel.forwarding_address.address).channel
        assert isinstance(found.workspace, Workspace)
        assert found.forwarding_address.channel is found


def test_the_channel_lookup_finds_the_block_and_the_duplicate(channel):
    BlockedSenderFactory(workspace=channel.workspace, value="Spammy.Example")
    thread = ThreadFactory(workspace=channel.workspace, channel=channel)
    MessageFactory(thread=thread, message_id="<m1@x>", content_digest="d1")
    found = channel_get_for_forwarding_address(
        channel.forwarding_address.address, "x@mail.spammy.example", "<m1@x>", "d1"
    )
    assert (found.blocked_rule, found.is_duplicate) == ("spammy.example", True)
    other = channel_get_for_forwarding_address(
        channel.forwarding_address.address, "x@fine.example", "<m1@x>", "other digest"
    )
    assert (other.blocked_rule, other.is_duplicate) == (None, False)


def test_an_unknown_address_has_no_channel(channel):
    assert channel_get_for_forwarding_address("nobody@inbox.localhost") is None


def test_the_claim_loads_what_the_orm_loads(channel):
    row = store_inbound(
        b"Subject: x\n\nbody", channel.forwarding_address.address, esp_verdicts={"spam_score": 1.5}
    )
    claimed = inbound_email_claim(inbound_email_id=row.pk, now=timezone.now())
    assert claimed is not None
    expected = InboundEmail.objects.get(pk=row.pk)
    assert field_values(claimed.row) | {"raw": bytes(claimed.row.raw)} == field_values(expected) | {
        "raw": bytes(expected.raw)
    }
    assert expected.status == InboundEmail.Status.PROCESSING and expected.attempts == 1
    assert claimed.row.esp_verdicts == {"spam_score": 1.5} and claimed.has_message is False
    assert inbound_email_claim(inbound_email_id=row.pk + 1000, now=timezone.now()) is None


def test_a_final_row_is_not_claimed_and_a_claimed_one_is_claimed_again(channel):
    row = store_inbound(b"Subject: x\n\nbody", channel.forwarding_address.address)
    first = inbound_email_claim(inbound_email_id=row.pk, now=timezone.now())
    again = inbound_email_claim(inbound_email_id=row.pk, now=timezone.now())
    assert first is not None and again is not None and again.row.attempts == 2
    InboundEmail.objects.filter(pk=row.pk).update(status=InboundEmail.Status.ACCEPTED)
    assert inbound_email_claim(inbound_email_id=row.pk, now=timezone.now()) is None


def test_the_claim_knows_when_its_message_is_stored(channel):
    row = store_inbound(b"Subject: x\n\nbody", channel.forwarding_address.address)
    MessageFactory(thread=ThreadFactory(workspace=channel.workspace), inbound=row)
    claimed = inbound_email_claim(inbound_email_id=row.pk, now=timezone.now())
    assert claimed is not None and claimed.has_message is True


def test_the_lookup_brings_the_senders_contact_as_the_orm_loads_it(channel):
    contact = ContactFactory(workspace=channel.workspace, email="Known@Sender.Example", name="K")
    ContactFactory(email="known@sender.example")  # the same address in another workspace
    found = channel_get_for_forwarding_address(
        channel.forwarding_address.address, "known@SENDER.example"
    )
    assert found is not None and found.sender_contact is not None
    assert field_values(found.sender_contact) == field_values(Contact.objects.get(pk=contact.pk))
    stranger = channel_get_for_forwarding_address(
        channel.forwarding_address.address, "stranger@sender.example"
    )
    assert stranger is not None and stranger.sender_contact is None
