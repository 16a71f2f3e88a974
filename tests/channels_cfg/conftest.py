from __future__ import annotations

import pytest

from channels_cfg.wizard_services import channel_draft_start


@pytest.fixture
def draft(admin_agent):
    """A draft channel of the admin's workspace, as "Start" creates it."""
    return channel_draft_start(workspace=admin_agent.workspace, created_by=admin_agent.user)


HTMX = {"HTTP_HX_REQUEST": "true"}
