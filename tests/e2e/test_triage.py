"""Triage in a real Chromium: tags from the typeahead, a bulk close with undo (and undo refused
after its 10 seconds), and the keyboard shortcuts with their help dialog."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from helpdesk.models import Agent
from inbox.models import BulkAction, Tag, Thread
from tests.e2e.axe import AXE_SCRIPT, FAILING_IMPACTS, WCAG_TAGS, assert_accessible, describe
from tests.e2e.conftest import SCREENSHOTS, login
from tests.factories import AgentFactory, ThreadFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def make_threads(agent, count: int) -> list[Thread]:
    now = timezone.now()
    # Newest first in the list: index 0 is the top row.
    return [
        ThreadFactory(
            workspace=agent.workspace,
            subject=f"Question number {index}",
            last_message_at=now - timedelta(minutes=index),
        )
        for index in range(count)
    ]


def statuses(threads) -> list[str]:
    return [Thread.objects.get(pk=t.pk).status for t in threads]


def test_a_bulk_close_with_undo(page, live_server, screenshot_dir) -> None:
    agent = AgentFactory()
    threads = make_threads(agent, 5)
    login(page, live_server, agent.user.username, PASSWORD)

    checkbox = lambda thread: page.locator(f'[data-thread-id="{thread.pk}"] .bulk-select')  # noqa: E731
    # A click, then a shift-click selects the range between them.
    checkbox(threads[0]).click()
    checkbox(threads[2]).click(modifiers=["Shift"])
    page.get_by_text("3 selected").wait_for()
    page.screenshot(path=str(screenshot_dir / "inbox-bulk-selection.png"))
    page.locator("#bulk-close").click()

    status = page.locator("#bulk-status")
    status.get_by_text("Closed 3 conversations.").wait_for()
    # The list reloads: the closed rows leave "All open".
    expect(page.locator("#thread-list [data-thread-id]")).to_have_count(2)
    assert statuses(threads) == ["closed"] * 3 + ["open"] * 2
    page.screenshot(path=str(screenshot_dir / "inbox-bulk-undo.png"))

    page.get_by_role("button", name="Undo").click()
    status.get_by_text("Undone: 3 conversations back as they were.").wait_for()
    expect(page.locator("#thread-list [data-thread-id]")).to_have_count(5)
    assert statuses(threads) == ["open"] * 5

    # Select all on the page, close, and let the 10 seconds pass: Undo goes away.
    page.get_by_label("Select all on this page").check()
    page.get_by_text("5 selected").wait_for()
    page.locator("#bulk-close").click()
    status.get_by_text("Closed 5 conversations.").wait_for()
    page.get_by_text("(undo is no longer available)").wait_for(timeout=15_000)
    assert page.get_by_role("button", name="Undo").count() == 0
    assert statuses(threads) == ["closed"] * 5


def test_undo_is_refused_once_the_time_is_up(page, live_server) -> None:
    agent = AgentFactory()
    threads = make_threads(agent, 2)
    login(page, live_server, agent.user.username, PASSWORD)
    page.get_by_label("Select all on this page").check()
    page.locator("#bulk-close").click()
    page.locator("#bulk-status").get_by_text("Closed 2 conversations.").wait_for()
    # Another tab kept its Undo button: the server refuses it with a clear sentence.
    BulkAction.objects.update(created_at=timezone.now() - timedelta(seconds=30))
    page.get_by_role("button", name="Undo").click()
    page.get_by_role("alert").get_by_text("Too late to undo").wait_for()
    assert statuses(threads) == ["closed", "closed"]


def test_tags_from_the_typeahead_with_the_keyboard(page, live_server, screenshot_dir) -> None:
    agent = AgentFactory()
    Tag.objects.create(workspace=agent.workspace, name="Billing", colour="blue")
    Tag.objects.create(workspace=agent.workspace, name="Bugs", colour="red")
    thread = make_threads(agent, 1)[0]
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")

    # "#" focuses the tag field; arrows pick a suggestion, Enter adds it.
    page.locator("body").press("#")
    field = page.locator("#tag-input")
    assert field.evaluate("el => el === document.activeElement")
    with page.expect_response(lambda response: "name=b" in response.url):
        field.type("b")
    billing = page.locator("#tag-suggestions").get_by_role("option", name="Billing")
    expect(billing).to_have_attribute("aria-selected", "true")
    field.press("ArrowDown")
    assert (
        page.locator("#tag-suggestions")
        .get_by_role("option", name="Bugs")
        .get_attribute("aria-selected")
        == "true"
    )
    field.press("Enter")
    page.locator("#tag-panel [data-tag='Bugs']").wait_for()

    # A new name is created from the same field, which keeps the keyboard: typed, then Add.
    expect(page.locator("#tag-input")).to_be_focused()
    page.locator("#tag-input").type("Refund request")
    page.locator("#tag-add-form").get_by_role("button", name="Add").press("Enter")
    page.locator("#tag-panel [data-tag='Refund request']").wait_for()
    assert sorted(t.name for t in Thread.objects.get(pk=thread.pk).tags.all()) == [
        "Bugs",
        "Refund request",
    ]
    page.screenshot(path=str(screenshot_dir / "thread-tags.png"))

    # The list shows the tags by name, and the sidebar filters by them.
    page.goto(f"{live_server.url}/inbox/")
    row = page.locator(f'[data-thread-id="{thread.pk}"]')
    assert "Bugs" in row.inner_text() and "Refund request" in row.inner_text()
    page.screenshot(path=str(screenshot_dir / "inbox-tags-list.png"))
    page.locator(".tag-nav").get_by_role("link", name="Bugs").click()
    page.wait_for_url("**tag=*")
    assert page.locator("[data-thread-id]").count() == 1


def test_the_shortcuts(page, live_server, screenshot_dir) -> None:
    agent = AgentFactory()
    threads = make_threads(agent, 3)
    login(page, live_server, agent.user.username, PASSWORD)
    body = page.locator("body")

    # "?" opens the help: a modal dialog with focus inside, Escape closes it.
    body.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    dialog.wait_for()
    assert page.evaluate("document.activeElement.id") == "shortcuts-help-close"
    page.screenshot(path=str(screenshot_dir / "inbox-shortcuts-help.png"))
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")

    # "/" focuses search; typing there is never a shortcut.
    body.press("/")
    search = page.locator("#inbox-search")
    assert search.evaluate("el => el === document.activeElement")
    search.type("jk?e")
    assert search.input_value() == "jk?e"
    assert not dialog.is_visible()
    search.press("Escape")
    search.evaluate("el => { el.value = ''; el.blur(); }")

    # In the list, e closes the row the cursor is on (or the selected ones), with Undo.
    for _ in range(3):
        body.press("j")
    body.press("e")
    page.locator("#bulk-status").get_by_text("Closed 1 conversation.").wait_for()
    expect(page.locator("#thread-list [data-thread-id]")).to_have_count(2)
    assert statuses(threads) == ["open", "open", "closed"]

    # j and k move through the rows; o opens the one reached.
    body.press("j")
    body.press("j")
    body.press("k")
    body.press("j")
    assert page.locator(".thread-row--cursor").get_attribute("data-thread-id") == str(threads[1].pk)
    # A modifier key is never a shortcut.
    body.press("Control+e")
    assert statuses(threads) == ["open", "open", "closed"]
    body.press("o")
    page.wait_for_url(f"**/inbox/threads/{threads[1].pk}/**")

    # On the thread: a assigns to me, e closes, r goes to the reply.
    page.locator("#thread-title").wait_for()
    page.locator("body").press("a")
    page.get_by_test_id("assignee").get_by_text(agent.full_name).wait_for()
    # s opens the Snooze menu with focus inside it.
    page.locator("body").press("s")
    assert page.locator("#snooze-button").evaluate("el => el.closest('details').open")
    assert page.evaluate("document.activeElement.closest('details') !== null")
    page.locator("#snooze-button").click()  # closes it again
    page.evaluate("document.activeElement.blur()")
    page.locator("body").press("e")
    page.locator("#thread-status-button", has_text="Reopen").wait_for()
    assert Thread.objects.get(pk=threads[1].pk).status == "closed"
    assert Thread.objects.get(pk=threads[1].pk).assignee_id == agent.user_id
    page.locator("body").press("r")
    assert page.evaluate("document.activeElement.closest('#composer') !== null")
    page.keyboard.type("j")  # typing in the reply is not a shortcut
    assert f"/inbox/threads/{threads[1].pk}/" in page.url

    # j beside an open thread opens the next one in the list (the only open one left).
    page.goto(f"{live_server.url}/inbox/threads/{threads[1].pk}/?view=open")
    page.locator("#thread-list [data-thread-id]").first.wait_for()
    page.locator("body").press("j")
    page.wait_for_url(f"**/inbox/threads/{threads[0].pk}/**")


# What this feature adds to a page; the rest of the page is other tests' business.
TRIAGE_PARTS = ["#tag-panel", "#bulk-form", "#bulk-status", ".tag-nav", "#thread-list"]


def assert_triage_parts_accessible(page, where: str) -> None:
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate(
        """async ([parts, tags]) => await window.axe.run(
            { include: parts.filter((p) => document.querySelector(p)).map((p) => [p]) },
            { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })""",
        [TRIAGE_PARTS, WCAG_TAGS],
    )
    found = [v for v in results["violations"] if v.get("impact") in FAILING_IMPACTS]
    assert not found, f"axe found problems on {where}:\n{describe(found)}"


def test_triage_controls_are_accessible(audited, live_server) -> None:
    admin = AgentFactory(role=Agent.Role.ADMIN)
    threads = make_threads(admin, 2)
    Tag.objects.create(workspace=admin.workspace, name="Billing", colour="yellow")
    threads[0].tags.add(Tag.objects.get())
    login(audited, live_server, admin.user.username, PASSWORD)
    audited.locator(f'[data-thread-id="{threads[0].pk}"] .bulk-select').click()
    assert_accessible(audited, "the inbox with a selection and tags")
    audited.goto(f"{live_server.url}/inbox/threads/{threads[1].pk}/")
    audited.locator("#tag-input").type("B")
    audited.locator("#tag-suggestions").get_by_role("option", name="Billing").wait_for(
        state="attached"
    )
    assert_triage_parts_accessible(audited, "a thread with the tag typeahead open")
    audited.goto(f"{live_server.url}/settings/tags/")
    audited.screenshot(path=str(SCREENSHOTS / "settings-tags.png"))
    assert_accessible(audited, "the tag settings")


def test_triage_pages_fit_a_phone(browser, live_server) -> None:
    admin = AgentFactory(role=Agent.Role.ADMIN)
    threads = make_threads(admin, 2)
    for name in ("Billing", "A rather long tag name for a phone", "Bugs"):
        threads[0].tags.add(Tag.objects.create(workspace=admin.workspace, name=name))
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        login(page, live_server, admin.user.username, PASSWORD)
        page.locator(f'[data-thread-id="{threads[0].pk}"] .bulk-select').click()
        page.locator("#bulk-close").wait_for()
        assert page.evaluate("() => document.documentElement.scrollWidth <= 390")
        page.goto(f"{live_server.url}/settings/tags/")
        assert page.evaluate("() => document.documentElement.scrollWidth <= 390")
        page.screenshot(path=str(SCREENSHOTS / "settings-tags-phone.png"))
    finally:
        context.close()
