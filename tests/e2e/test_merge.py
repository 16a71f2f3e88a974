"""Merge two threads in a real Chromium, then undo it, through the confirmation pages; the pages
pass axe's WCAG 2 A/AA audit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Message, Thread
from inbox.services.merge import recount
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import login
from tests.factories import AgentFactory, ContactFactory, MessageFactory, ThreadFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def conversations():
    agent = AgentFactory(user__first_name="Ada", user__last_name="Lovelace")
    bob = AgentFactory(workspace=agent.workspace, user__first_name="Bob", user__last_name="Stone")
    contact = ContactFactory(workspace=agent.workspace, email="jane@customer.example")
    start = timezone.now() - timedelta(hours=3)
    older = ThreadFactory(workspace=agent.workspace, contact=contact, subject="Invoice wrong")
    newer = ThreadFactory(
        workspace=agent.workspace, contact=contact, subject="Invoice still wrong", assignee=bob.user
    )
    Thread.objects.filter(pk=older.pk).update(created_at=start)
    MessageFactory(thread=older, created_at=start, text="The invoice is wrong")
    MessageFactory(thread=newer, created_at=start + timedelta(hours=1), text="Still wrong today")
    MessageFactory(thread=older, created_at=start + timedelta(hours=2), text="Any news?")
    for thread in (older, newer):
        recount(thread)
    return agent, bob, older, newer


def message_texts(page) -> list[str]:
    return [text.strip() for text in page.locator("#messages .message__text").all_inner_texts()]


def test_merge_two_threads_and_undo_it(audited, live_server, conversations) -> None:
    page = audited
    agent, _, older, newer = conversations
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{older.pk}/")

    page.get_by_text("More actions").click()
    page.get_by_role("link", name="Merge with…").click()
    page.wait_for_url(re.compile(rf"/inbox/threads/{older.pk}/merge/$"))
    assert_accessible(page, "merge: pick a conversation")
    # The live search narrows the list as the agent types.
    page.get_by_label("Find a conversation").fill("still")
    candidate = page.locator(f'[data-candidate="{newer.pk}"]')
    candidate.wait_for()
    candidate.click()

    page.wait_for_url(re.compile(rf"/merge/{newer.pk}/$"))
    assert_accessible(page, "merge: confirmation")
    assert page.get_by_text(f"#{newer.pk} (newer, merged in)").is_visible()
    page.get_by_role("radio", name="Bob Stone").check()
    page.get_by_role("button", name=f"Merge #{newer.pk} into #{older.pk}").click()

    page.wait_for_url(re.compile(rf"/inbox/threads/{older.pk}/$"))
    # Interleaved by date: the newer thread's message sits between the older thread's two.
    assert message_texts(page) == ["The invoice is wrong", "Still wrong today", "Any news?"]
    assert page.get_by_test_id("assignee").inner_text() == "Bob Stone"
    # The merged conversation's page leads here.
    page.goto(f"{live_server.url}/inbox/threads/{newer.pk}/")
    page.wait_for_url(re.compile(rf"/inbox/threads/{older.pk}/$"))

    page.get_by_role("link", name="Undo merge").click()
    page.wait_for_url(re.compile(r"/events/\d+/undo/$"))
    assert_accessible(page, "merge: undo confirmation")
    assert Message.objects.filter(thread=older).count() == 3  # nothing happens before confirming
    page.get_by_role("button", name="Undo merge").click()

    page.wait_for_url(re.compile(rf"/inbox/threads/{newer.pk}/$"))
    assert message_texts(page) == ["Still wrong today"]
    older.refresh_from_db()
    assert (older.message_count, older.assignee_id) == (2, None)


def test_split_a_message_out_from_its_menu(audited, live_server, conversations) -> None:
    page = audited
    agent, _, older, _ = conversations
    last = Message.objects.filter(thread=older).order_by("-created_at").first()
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{older.pk}/")
    page.locator(f'[data-split="{last.pk}"]').click()
    page.wait_for_url(re.compile(rf"/messages/{last.pk}/split/$"))
    assert_accessible(page, "split: confirmation")
    page.get_by_role("button", name="Split into a new conversation").click()
    last.refresh_from_db()
    page.wait_for_url(re.compile(rf"/inbox/threads/{last.thread_id}/$"))
    assert last.thread_id != older.pk
    assert message_texts(page) == ["Any news?"]
    assert page.get_by_role("link", name="Undo split").is_visible()
