from __future__ import annotations

import re

import pytest
from django.core import mail

from channels_cfg.models import EmailChannel
from channels_cfg.services.verification import from_address_verification_send
from channels_cfg.services.wizard import channel_draft_start, channel_from_settings_update
from tests.factories import ForwardingAddressFactory


@pytest.fixture
def draft(admin_agent):
    """A draft channel of the admin's workspace, as "Start" creates it."""
    return channel_draft_start(workspace=admin_agent.workspace, created_by=admin_agent.user)


@pytest.fixture
def channel(workspace):
    """A connected channel of the workspace, with a team mailbox."""
    forwarding = ForwardingAddressFactory(
        channel__workspace=workspace,
        channel__company_name="Acme",
        channel__name="Acme support",
        channel__team_address="help@acme.example",
        channel__default_from_username="acme-support",
    )
    return forwarding.channel


HTMX = {"HTTP_HX_REQUEST": "true"}


def from_data(**overrides: str) -> dict[str, str]:
    """Step 1 as a form posts it."""
    data = {
        "from_name_mode": "agent_and_company",
        "company_name": "Acme",
        "from_address_mode": "default",
        "custom_from_address": "",
        "signature_html": "",
    }
    data.update(overrides)
    return data


def use_custom_address(channel: EmailChannel, address: str = "me@acme.example") -> None:
    channel_from_settings_update(
        channel=channel,
        from_name_mode="company",
        company_name="Acme",
        from_address_mode="custom",
        custom_from_address=address,
        signature_html="",
    )


def link_token(message: mail.EmailMessage) -> str:
    match = re.search(r"/settings/channels/verify-from-address/([^/\s]+)/", message.body)
    assert match, message.body
    return match[1]


def send(channel: EmailChannel, now, django_capture_on_commit_callbacks) -> str:
    """Mail a verification link for the channel's custom address; its token."""
    with django_capture_on_commit_callbacks(execute=True):
        from_address_verification_send(channel=channel, now=now)
    return link_token(mail.outbox[-1])
