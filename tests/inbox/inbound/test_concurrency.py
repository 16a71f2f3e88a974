"""Round robin stays fair when several workers process mail at once (PostgreSQL row locks)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from inbox.inbound.pipeline import process_inbound_email
from inbox.models import Thread
from tests.factories import (
    AgentFactory,
    EmailChannelFactory,
    ForwardingAddressFactory,
    WorkspaceFactory,
)
from tests.inbox.inbound.conftest import fixture_bytes, store_inbound


def _run(pk: int) -> None:
    try:
        process_inbound_email(pk)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_round_robin_is_fair_across_concurrent_workers():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises the whole database)")
    workspace = WorkspaceFactory()
    channel = EmailChannelFactory(workspace=workspace, auto_assign=True)
    address = ForwardingAddressFactory(channel=channel).address
    agents = [AgentFactory(workspace=workspace) for _ in range(3)]
    channel.assign_users.add(*(agent.user for agent in agents))
    rows = [
        store_inbound(fixture_bytes("plain.eml").replace(b"plain-1@", f"c{n}@".encode()), address)
        for n in range(24)
    ]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(_run, [row.pk for row in rows]))
    counts = Counter(
        Thread.objects.filter(workspace=workspace).values_list("assignee_id", flat=True)
    )
    assert counts == {agent.user_id: 8 for agent in agents}
