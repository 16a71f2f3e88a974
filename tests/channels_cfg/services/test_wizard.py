"""Services of the wizard's steps."""

from __future__ import annotations

import pytest

from channels_cfg.models import ForwardingAddress
from channels_cfg.services.wizard import channel_draft_start

pytestmark = pytest.mark.django_db


def test_drafts_get_distinct_forwarding_addresses(admin_agent) -> None:
    addresses = {
        channel_draft_start(
            workspace=admin_agent.workspace, created_by=admin_agent.user
        ).forwarding_address.address
        for _ in range(5)
    }
    assert len(addresses) == 5
    assert ForwardingAddress.objects.filter(locked_at__isnull=True).count() == 5
