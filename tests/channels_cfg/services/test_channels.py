"""Connect & finish, disconnect and reconnect: where the database, not the form, has the last word."""

from __future__ import annotations

import pytest
from django.utils import timezone

from channels_cfg import selectors
from channels_cfg.models import EmailChannel
from channels_cfg.services.channels import (
    ChannelNotReady,
    channel_connect,
    channel_disconnect,
    channel_reconnect,
)
from tests.factories import EmailChannelFactory

pytestmark = pytest.mark.django_db


def test_the_database_constraint_catches_a_from_name_race(draft, monkeypatch) -> None:
    # Another request connected a channel with the same name after our check ran.
    EmailChannelFactory(workspace=draft.workspace, company_name=draft.company_name.upper())
    monkeypatch.setattr(selectors, "from_name_taken", lambda **kwargs: False)
    with pytest.raises(ChannelNotReady, match="already uses the from name"):
        channel_connect(channel=draft, now=timezone.now())
    draft.refresh_from_db()
    assert draft.status == EmailChannel.Status.DRAFT
    assert draft.forwarding_address.locked_at is None


def test_connecting_twice_is_refused(draft) -> None:
    channel_connect(channel=draft, now=timezone.now())
    with pytest.raises(ChannelNotReady, match="already connected"):
        channel_connect(channel=draft, now=timezone.now())


def test_disconnect_keeps_the_locked_address_and_reconnect_restores(draft) -> None:
    channel_connect(channel=draft, now=timezone.now())
    channel_disconnect(channel=draft)
    assert draft.status == EmailChannel.Status.DISCONNECTED
    assert draft.forwarding_address.locked_at is not None
    channel_reconnect(channel=draft, now=timezone.now())
    assert draft.status == EmailChannel.Status.CONNECTED


def test_a_draft_cannot_be_disconnected_or_reconnected(draft) -> None:
    channel_disconnect(channel=draft)
    channel_reconnect(channel=draft, now=timezone.now())
    assert draft.status == EmailChannel.Status.DRAFT
