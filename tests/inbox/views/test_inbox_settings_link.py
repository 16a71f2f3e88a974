"""The article: "In the lower left corner, click Inbox settings." The inbox's left column ends
with that link for admins, and it opens the Channels tab."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def settings_link(page: str) -> str | None:
    views = re.search(r'<nav class="inbox-views".*?</nav>', page, re.S)
    assert views, "no left column"
    found = re.search(r'<a id="inbox-settings" href="([^"]+)">Inbox settings</a>', views[0])
    return found[1] if found else None


def test_the_left_column_ends_with_inbox_settings_for_admins(admin_client):
    link = settings_link(admin_client.get("/inbox/").content.decode())
    assert link == "/settings/channels/"
    response = admin_client.get(link)
    assert response.status_code == 200
    assert re.search(r'<a [^>]*aria-current="page"[^>]*>Channels</a>', response.content.decode())


def test_agents_have_no_inbox_settings_link(agent_client):
    assert settings_link(agent_client.get("/inbox/").content.decode()) is None
