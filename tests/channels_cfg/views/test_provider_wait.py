"""The provider step waits for a confirmation only from providers that send one: Outlook.com's
instructions say none is sent, so "Waiting for a confirmation..." must not spin forever. The
step also states the size limit."""

from __future__ import annotations

import pytest

from channels_cfg.providers import PROVIDERS, provider_get
from channels_cfg.services.wizard import channel_provider_update
from tests.factories import ForwardingConfirmationFactory

pytestmark = pytest.mark.django_db

WAITING = "Waiting for a confirmation"


def provider_page(admin_client, draft, provider: str) -> str:
    channel_provider_update(channel=draft, provider=provider, team_address="help@acme.example")
    response = admin_client.get(f"/settings/channels/connect/{draft.pk}/provider/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("provider", ["outlook", "microsoft365", "icloud", "fastmail"])
def test_no_wait_for_providers_that_send_no_confirmation(admin_client, draft, provider):
    page = provider_page(admin_client, draft, provider)
    assert WAITING not in page
    assert "/confirmation/" not in page  # nothing polls
    assert "sends no confirmation" in page


@pytest.mark.parametrize("provider", ["gmail", "google_workspace", "yahoo", "zoho", "other"])
def test_the_wait_shows_for_providers_that_send_one(admin_client, draft, provider):
    page = provider_page(admin_client, draft, provider)
    assert WAITING in page
    assert f'hx-get="/settings/channels/connect/{draft.pk}/confirmation/"' in page


def test_a_confirmation_that_came_anyway_is_shown(admin_client, draft):
    ForwardingConfirmationFactory(channel=draft, provider="outlook", code="424242")
    page = provider_page(admin_client, draft, "outlook")
    assert "data-confirmation-code>424242<" in page


def test_the_poll_of_a_provider_without_confirmation_stops(admin_client, draft):
    channel_provider_update(channel=draft, provider="outlook", team_address="")
    page = admin_client.get(f"/settings/channels/connect/{draft.pk}/confirmation/").content.decode()
    assert WAITING not in page and "hx-trigger" not in page


def test_the_last_step_states_the_size_limit(admin_client, draft):
    page = provider_page(admin_client, draft, "gmail")
    assert "The maximum email size is 30 MB, including attachments." in page


def test_the_wait_follows_what_the_instructions_say():
    for provider in PROVIDERS:
        says_none = provider.confirmation.endswith("does not send a confirmation code.")
        assert provider.sends_confirmation is not says_none, provider.slug
    assert provider_get("outlook").sends_confirmation is False
