"""Words and focus targets an agent relies on."""

from __future__ import annotations

import pytest

from inbox.models import Thread
from tests.factories import ThreadFactory

pytestmark = pytest.mark.django_db


def test_empty_open_view_with_closed_conversations_points_to_closed(agent_client, workspace):
    ThreadFactory(workspace=workspace, status=Thread.Status.CLOSED)
    page = agent_client.get("/inbox/", {"view": "open"}).content.decode()
    assert "No open conversations" in page and "?view=closed" in page
    assert "No conversations yet" not in page


def test_thread_controls_that_are_swapped_in_place_keep_their_ids(agent_client, workspace):
    """htmx puts the focus back on a swapped element only when it has the same id."""
    thread = ThreadFactory(workspace=workspace)
    page = agent_client.get(f"/inbox/threads/{thread.pk}/").content.decode()
    for element_id in (
        "thread-title",
        "assign-me",
        "thread-status-button",
        "ticket-priority",
        "ticket-status",
        "ticket-owner",
        "contact-owner",
        "availability-select",
    ):
        assert f'id="{element_id}"' in page, element_id
