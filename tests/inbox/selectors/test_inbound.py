"""The two lookups every delivery makes are written in SQL (inbox.selectors.inbound): what they
load must be exactly what the ORM loads, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from channels_cfg.models import EmailChannel
from helpdesk.models import Workspace
from inbox.models import InboundEmail
from inbox.selectors.inbound import (
    channel_get_for_forwarding_address,
    inbound_email_lock_for_processing,
)
from tests.factories import (
    BlockedSenderFactory,
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


def test_the_ledger_row_lock_loads_what_the_orm_loads(channel):
    row = store_inbound(
        b"Subject: x\n\nbody", channel.forwarding_address.address, esp_verdicts={"spam_score": 1.5}
    )
    with transaction.atomic():
        found = inbound_email_lock_for_processing(row.pk)
    locked = found.row
    expected = InboundEmail.objects.get(pk=row.pk)
    assert field_values(locked) | {"raw": bytes(locked.raw)} == field_values(expected) | {
        "raw": bytes(expected.raw)
    }
    assert locked.esp_verdicts == {"spam_score": 1.5} and found.has_message is False
    with pytest.raises(InboundEmail.DoesNotExist):
        inbound_email_lock_for_processing(row.pk + 1000)


def test_the_ledger_row_lock_knows_when_its_message_is_stored(channel):
    row = store_inbound(b"Subject: x\n\nbody", channel.forwarding_address.address)
    MessageFactory(thread=ThreadFactory(workspace=channel.workspace), inbound=row)
    with transaction.atomic():
        assert inbound_email_lock_for_processing(row.pk).has_message is True
