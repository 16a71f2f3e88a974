"""Helpers for pipeline tests: a connected channel and a way to push raw mail through."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from channels_cfg.models import EmailChannel
from inbox.inbound.pipeline import process_inbound_email
from inbox.models import InboundEmail
from tests.factories import EmailChannelFactory, ForwardingAddressFactory

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def channel(workspace) -> EmailChannel:
    channel = EmailChannelFactory(workspace=workspace, default_from_username="support")
    ForwardingAddressFactory(channel=channel)
    return channel


def store_inbound(
    raw: bytes, recipient: str, *, esp_verdicts: dict | None = None, esp: str = "test"
) -> InboundEmail:
    sha = hashlib.sha256(raw).hexdigest()
    return InboundEmail.objects.create(
        esp=esp,
        envelope_recipient=recipient.lower(),
        raw=raw,
        size=len(raw),
        sha256=sha,
        idempotency_key=hashlib.sha256(f"{recipient}:{sha}:{uuid.uuid4()}".encode()).hexdigest(),
        esp_verdicts=esp_verdicts or {},
    )


@pytest.fixture
def deliver(channel: EmailChannel) -> Callable[..., InboundEmail]:
    """Store raw mail (bytes or a fixture name) for the channel, run the pipeline, reload the row."""

    def deliver(raw: bytes | str, *, to: str | None = None, **kwargs: object) -> InboundEmail:
        if isinstance(raw, str):
            raw = fixture_bytes(raw)
        row = store_inbound(raw, to or channel.forwarding_address.address, **kwargs)  # type: ignore[arg-type]
        process_inbound_email(row.pk)
        row.refresh_from_db()
        return row

    return deliver
