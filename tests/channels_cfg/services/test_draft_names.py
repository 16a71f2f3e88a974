"""A new channel's prefilled company name and its default forwarding address: the name is one no
other channel uses (or none), and the address is derived from the name the admin gives."""

from __future__ import annotations

import pytest

from channels_cfg.addresses import is_suggested_local_part, suggest_local_part
from channels_cfg.models import ForwardingConfirmation
from channels_cfg.services.wizard import (
    channel_draft_start,
    channel_from_settings_update,
    channel_provider_update,
    forwarding_address_customize,
)
from tests.factories import EmailChannelFactory, ForwardingAddressFactory

pytestmark = pytest.mark.django_db


def start(admin_agent):
    return channel_draft_start(workspace=admin_agent.workspace, created_by=admin_agent.user)


def name_it(channel, company_name: str):
    return channel_from_settings_update(
        channel=channel,
        from_name_mode="agent_and_company",
        company_name=company_name,
        from_address_mode="default",
        custom_from_address="",
        signature_html="",
    )


def local_part(channel) -> str:
    channel.forwarding_address.refresh_from_db()
    return channel.forwarding_address.address.partition("@")[0]


def test_a_free_company_name_is_prefilled(admin_agent):
    assert start(admin_agent).company_name == admin_agent.workspace.company_name


def test_a_name_another_channel_uses_is_not_prefilled(admin_agent, workspace):
    EmailChannelFactory(workspace=workspace, company_name=workspace.company_name.upper())
    draft = start(admin_agent)
    assert draft.company_name == ""
    assert name_it(draft, "Acme Sales").company_name == "Acme Sales"  # the first Next passes


def test_the_forwarding_address_follows_the_name_given(admin_agent):
    draft = start(admin_agent)
    name_it(draft, "Acme Sales")
    assert local_part(draft).startswith("acme-sales-")
    assert draft.default_from_username == local_part(draft)
    name_it(draft, "Acme Billing Team")
    assert local_part(draft).startswith("acme-billing-team-")


def test_a_customized_address_is_kept(admin_agent):
    draft = start(admin_agent)
    forwarding_address_customize(channel=draft, local_part="our-help")
    name_it(draft, "Acme Sales")
    assert local_part(draft) == "our-help"


def test_the_address_stays_once_the_provider_may_know_it(admin_agent):
    draft = start(admin_agent)
    name_it(draft, "Acme Sales")
    first = local_part(draft)
    channel_provider_update(channel=draft, provider="gmail", team_address="")
    name_it(draft, "Acme Billing")
    assert local_part(draft) == first
    other = start(admin_agent)
    ForwardingConfirmation.objects.create(
        channel=other, provider="gmail", received_at=draft.created_at
    )
    before = local_part(other)
    name_it(other, "Acme Care")
    assert local_part(other) == before


def test_derived_addresses_are_unique(admin_agent, monkeypatch):
    taken = ForwardingAddressFactory(
        address=f"acme-sales-aaaa@{admin_agent.workspace.hosted_domain}"
    )
    assert taken.address
    letters = iter("zzzzaaaabbbb")  # the draft's first address, then a taken one
    monkeypatch.setattr("channels_cfg.addresses.secrets.choice", lambda alphabet: next(letters))
    draft = start(admin_agent)
    name_it(draft, "Acme Sales")
    assert local_part(draft) == "acme-sales-bbbb"


@pytest.mark.parametrize(
    ("company_name", "expected"),
    [
        ("Acme", "acme-support-7f3k"),
        ("Acme Sales", "acme-sales-7f3k"),
        ("Acme Support", "acme-support-7f3k"),
        ("Acme & Sons, Inc.", "acme-sons-inc-support-7f3k"),
        ("Café Zürich", "cafe-zurich-support-7f3k"),
        ("Northwind International Holdings Group", "northwind-international-support-7f3k"),
        ("", "team-support-7f3k"),
        ("東京", "team-support-7f3k"),
    ],
)
def test_suggestions_are_readable(company_name, expected):
    assert suggest_local_part(company_name, suffix="7f3k") == expected
    assert is_suggested_local_part(expected, company_name)
    assert not is_suggested_local_part("our-help", company_name)
