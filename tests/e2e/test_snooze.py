"""Snooze in a real Chromium: snooze a thread from its menu (keyboard first), see it under
Snoozed and not under All open, move the clock, and see it back saying why it woke."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Thread
from inbox.services.snooze import threads_wake_due
from tests.e2e.axe import AXE_SCRIPT, FAILING_IMPACTS, WCAG_TAGS, describe
from tests.e2e.conftest import login
from tests.factories import (
    AgentFactory,
    ContactFactory,
    EmailChannelFactory,
    MessageFactory,
    ThreadFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _mail_and_media(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def waiting_thread():
    agent = AgentFactory(user__first_name="Ada", user__last_name="Lovelace")
    agent.time_zone = "Europe/Berlin"
    agent.save()
    channel = EmailChannelFactory(workspace=agent.workspace, company_name="Acme")
    contact = ContactFactory(
        workspace=agent.workspace, email="anna@customer.example", name="Anna Berg"
    )
    thread = ThreadFactory(
        workspace=agent.workspace, channel=channel, contact=contact, subject="Invoice missing",
        snippet="Where is my invoice?", last_message_at=timezone.now(), message_count=1,
    )  # fmt: skip
    MessageFactory(
        thread=thread, text="Where is my invoice?", from_email=contact.email,
        from_name=contact.name, created_at=timezone.now(),
    )  # fmt: skip
    return agent, thread


def rows(page, view: str) -> list[str]:
    page.goto(f"{page.url.split('/inbox/')[0]}/inbox/?view={view}")
    return page.locator("[data-thread-id]").evaluate_all(
        "rows => rows.map(row => row.dataset.threadId)"
    )


def test_snooze_and_wake_up_with_the_clock_moved(page, live_server, screenshot_dir, waiting_thread):
    agent, thread = waiting_thread
    login(page, live_server, agent.user.username, PASSWORD)
    assert rows(page, "open") == [str(thread.pk)]

    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    # Keyboard: the menu button opens the menu, focus moves to the first choice, Escape closes.
    button = page.locator("#snooze-button")
    button.focus()
    page.keyboard.press("Enter")
    first_choice = page.locator('[data-snooze-choice="later"]')
    first_choice.wait_for()
    assert first_choice.evaluate("el => el === document.activeElement")
    assert "Tomorrow morning" in page.locator(".snooze-menu__panel").inner_text()
    assert page.get_by_label("Pick a date and time").is_visible()
    page.screenshot(path=str(screenshot_dir / "snooze-menu.png"))
    page.keyboard.press("Escape")
    assert not page.locator("details[data-snooze-menu]").evaluate("el => el.open")
    assert button.evaluate("el => el === document.activeElement")

    page.keyboard.press("Enter")
    page.locator('[data-snooze-choice="tomorrow"]').click()
    banner = page.get_by_test_id("snooze-banner")
    banner.wait_for()
    assert "Snoozed until" in banner.inner_text() and "09:00" in banner.inner_text()
    thread.refresh_from_db()
    assert thread.snoozed_until is not None and thread.snoozed_until > timezone.now()

    assert rows(page, "open") == []
    assert rows(page, "snoozed") == [str(thread.pk)]
    assert page.locator('[data-view-count="snoozed"]').inner_text() == "1"

    # Move the clock: the wake-up task runs as beat would, a day and a half from now.
    assert threads_wake_due(now=timezone.now() + timedelta(days=1, hours=12)) == 1

    assert rows(page, "snoozed") == []
    assert rows(page, "open") == [str(thread.pk)]
    page.locator(f'[data-thread-id="{thread.pk}"]').get_by_role("link").first.click()
    page.wait_for_url(f"**/inbox/threads/{thread.pk}/**")
    woke = page.get_by_test_id("woke-banner")
    woke.wait_for()
    assert woke.inner_text() == "Woke: the snooze ended."
    page.screenshot(path=str(screenshot_dir / "snooze-woke.png"))
    assert Thread.objects.get(pk=thread.pk).snoozed_until is None


def test_a_picked_time_and_unsnooze(page, live_server, waiting_thread):
    agent, thread = waiting_thread
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    page.locator("#snooze-button").click()
    day = (timezone.now() + timedelta(days=9)).date()
    page.get_by_label("Pick a date and time").fill(f"{day}T10:30")
    page.get_by_role("button", name="Snooze until then").click()
    page.get_by_test_id("snooze-banner").wait_for()
    thread.refresh_from_db()
    assert thread.snoozed_until is not None

    page.locator("#snooze-button").click()
    page.get_by_role("button", name="Unsnooze now").click()
    page.get_by_test_id("snooze-banner").wait_for(state="detached")
    thread.refresh_from_db()
    assert thread.snoozed_until is None


def test_the_open_snooze_menu_is_accessible(audited, live_server, waiting_thread):
    agent, thread = waiting_thread
    page = audited
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    page.locator("#snooze-button").click()
    page.locator('[data-snooze-choice="later"]').wait_for()
    # The menu itself: the rest of the thread page belongs to its own audits.
    violations = scoped_violations(page, "details[data-snooze-menu]")
    assert not violations, describe(violations)
    page.get_by_role("button", name="Next week").click()
    page.get_by_test_id("snooze-banner").wait_for()
    violations = scoped_violations(page, "[data-testid=snooze-banner]")
    assert not violations, describe(violations)


def scoped_violations(page, selector: str) -> list[dict]:
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate(
        """async ([selector, tags]) => await window.axe.run(
            { include: [[selector]] },
            { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })""",
        [selector, WCAG_TAGS],
    )
    return [v for v in results["violations"] if v.get("impact") in FAILING_IMPACTS]
