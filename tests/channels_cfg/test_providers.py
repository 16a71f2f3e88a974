from __future__ import annotations

from channels_cfg.providers import PROVIDERS, provider_get

REQUIRED = {
    "gmail",
    "google_workspace",
    "outlook",
    "microsoft365",
    "yahoo",
    "icloud",
    "zoho",
    "fastmail",
    "other",
}


def test_every_required_provider_has_instructions() -> None:
    assert {provider.slug for provider in PROVIDERS} >= REQUIRED
    for provider in PROVIDERS:
        assert len(provider.steps) >= 3, provider.slug
        assert provider.confirmation


def test_instructions_fill_in_the_forwarding_address_and_team_mailbox() -> None:
    for provider in PROVIDERS:
        steps = provider.steps_for(address="acme-x@acme.inbox.test", team_address="help@acme.com")
        assert any("acme-x@acme.inbox.test" in step for step in steps), provider.slug
        assert not any("{" in step for step in steps), provider.slug


def test_gmail_instructions_mention_the_confirmation_code() -> None:
    gmail = provider_get("gmail")
    assert gmail is not None
    assert any("confirmation code" in step for step in gmail.steps)
    assert provider_get("nope") is None
