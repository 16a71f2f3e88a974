"""The seeded channel has threads, so its row says when mail last arrived, not "No mail yet"."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Max
from django.test import Client

from channels_cfg.models import EmailChannel
from inbox.management.commands import seed_demo
from inbox.models import Message

pytestmark = pytest.mark.django_db


def test_the_seeded_channel_knows_when_mail_last_arrived(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(seed_demo, "CREDENTIALS_FILE", tmp_path / "demo-credentials.json")
    call_command("seed_demo", "--json", stdout=open("/dev/null", "w"))  # noqa: SIM115
    channel = EmailChannel.objects.get(workspace__subdomain="demo")
    latest = Message.objects.filter(
        thread__channel=channel, direction=Message.Direction.IN
    ).aggregate(latest=Max("created_at"))["latest"]
    assert latest is not None and channel.last_inbound_at == latest
    client = Client()
    client.force_login(channel.created_by)
    row = client.get("/settings/channels/").content.decode()
    assert "No mail yet" not in row
    call_command("seed_demo", "--json", stdout=open("/dev/null", "w"))  # noqa: SIM115
    channel.refresh_from_db()
    assert channel.last_inbound_at == latest  # idempotent
