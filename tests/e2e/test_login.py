from __future__ import annotations

import pytest

from tests.e2e.conftest import login
from tests.factories import AgentFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_agent_logs_in_and_sees_the_empty_inbox(page, live_server, screenshot_dir) -> None:
    agent = AgentFactory()
    login(page, live_server, agent.user.username, "correct horse battery staple")
    assert page.get_by_role("heading", name="No conversations yet").is_visible()
    # htmx came from static files and initialised.
    assert page.evaluate("typeof window.htmx") == "object"
    page.screenshot(path=str(screenshot_dir / "inbox-empty.png"))
