"""Full-text search in a real Chromium: a word that is only in a message's body finds its
thread, highlighted; a filter-only search and a bad filter explain themselves; axe is happy."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import login
from tests.factories import AgentFactory, ContactFactory, MessageFactory, ThreadFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def conversation(workspace, *, subject: str, text: str, name: str):
    contact = ContactFactory(workspace=workspace, name=name)
    thread = ThreadFactory(
        workspace=workspace, contact=contact, subject=subject, snippet=text[:200]
    )
    MessageFactory(thread=thread, text=text, from_name=name, created_at=timezone.now())
    return thread


def test_search_with_a_word_only_in_a_body(audited, live_server, screenshot_dir):
    page = audited
    agent = AgentFactory(user__first_name="Ada", user__last_name="Lovelace")
    workspace = agent.workspace
    found = conversation(
        workspace,
        subject="Order question",
        text="Hello, the blender I bought arrived with a cracked jug. Can you replace it?",
        name="Jane Doe",
    )
    other = conversation(
        workspace, subject="Invoice", text="Please send the invoice again.", name="Bob Roe"
    )
    login(page, live_server, agent.user.username, PASSWORD)

    page.keyboard.press("Tab")  # the box is reachable and labelled
    box = page.get_by_role("searchbox", name="Search messages, notes, contacts and subjects")
    box.fill("cracked")
    box.press("Enter")
    page.wait_for_url("**/inbox/?*q=cracked*")
    rows = page.locator("[data-thread-id]")
    assert rows.count() == 1
    row = page.locator(f'[data-thread-id="{found.pk}"]')
    assert row.locator("mark").inner_text().lower() == "cracked"
    assert "arrived with a" in row.inner_text()
    assert page.locator(f'[data-thread-id="{other.pk}"]').count() == 0
    assert "Best matches for" in page.inner_text(".thread-list-pane")
    page.screenshot(path=str(screenshot_dir / "search-body-word.png"))
    assert_accessible(page, "search results")

    row.get_by_role("link").click()
    page.wait_for_url(f"**/inbox/threads/{found.pk}/**")

    box = page.get_by_role("searchbox", name="Search messages, notes, contacts and subjects")
    box.fill('"cracked lid" is:closed')
    box.press("Enter")
    page.get_by_role(
        "heading", name='No conversations match "cracked lid" is:closed in Closed'
    ).wait_for()

    box = page.get_by_role("searchbox", name="Search messages, notes, contacts and subjects")
    box.fill("cracked before:31-01-2026")
    box.press("Enter")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "before: needs a date written as YYYY-MM-DD" in alert.inner_text()
    assert page.locator(f'[data-thread-id="{found.pk}"]').count() == 1
    page.get_by_text("Search tips").click()
    assert page.get_by_text("has:attachment").is_visible()
    assert_accessible(page, "search with a bad filter")
