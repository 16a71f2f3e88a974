"""An admin opens /reports/: htmx loads every report, each draws its SVG chart beside its table,
under the page's real Content-Security-Policy, and axe finds nothing serious."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reports import build
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import login
from tests.factories import AdminFactory, AgentFactory, EmailChannelFactory
from tests.reports.conftest import event, message, rejected, thread_created

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin():
    admin = AdminFactory(workspace__time_zone="Europe/Berlin")
    workspace = admin.workspace
    agent = AgentFactory(workspace=workspace)
    channel = EmailChannelFactory(workspace=workspace, name="Support")
    now = timezone.now()
    for day in range(6):
        started = now - timedelta(days=day, hours=3)
        thread = thread_created(workspace, started, channel=channel)
        message(thread, started)
        message(thread, started + timedelta(hours=day + 1), out=True, by=agent)
        event(thread, "assigned", started + timedelta(minutes=5), admin, assignee_id=agent.user_id)
        if day % 2:
            event(thread, "closed", started + timedelta(hours=day + 2), agent)
    rejected(workspace, now - timedelta(days=1), "spam", channel=channel)
    return admin


def wait_for_reports(page) -> None:
    for slug in build.SLUGS:
        page.locator(f'section[data-report="{slug}"]').wait_for()


def test_the_reports_page_draws_every_chart(page, live_server, admin, screenshot_dir) -> None:
    refused: list[str] = []
    page.on(
        "console", lambda msg: refused.append(msg.text) if "Content Security" in msg.text else None
    )
    login(page, live_server, admin.user.username, PASSWORD)
    page.get_by_role("link", name="Reports").click()
    page.wait_for_url(f"{live_server.url}/reports/")
    page.get_by_label("Last 7 days").check()
    page.get_by_role("button", name="Show").click()
    wait_for_reports(page)
    for slug in ("volume", "first-response", "resolution", "backlog", "rejected"):
        chart = page.locator(f'section[data-report="{slug}"] svg.chart').first
        box = chart.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 150, slug
        drawn = chart.locator("rect[fill^='url(#'], polyline").count()
        assert drawn > 0, f"{slug} drew no bars or lines"
        assert chart.locator("g.chart-legend text").count() >= 1
    volume = page.locator('section[data-report="volume"] table tbody tr')
    assert volume.count() == 7
    assert page.locator('section[data-report="rejected"] a', has_text="rejected-mail log").count()
    assert refused == []
    page.screenshot(path=str(screenshot_dir / "reports.png"), full_page=True)


def test_the_reports_page_passes_axe(audited, live_server, admin) -> None:
    login(audited, live_server, admin.user.username, PASSWORD)
    audited.goto(f"{live_server.url}/reports/?range=7")
    wait_for_reports(audited)
    assert_accessible(audited, "the reports page")


def test_an_admin_sets_business_hours_with_the_keyboard_and_the_report_uses_them(
    audited, live_server, admin
) -> None:
    page = audited
    login(page, live_server, admin.user.username, PASSWORD)
    page.goto(f"{live_server.url}/reports/")
    page.get_by_role("link", name="Report settings").click()
    page.wait_for_url(f"{live_server.url}/reports/settings/")
    assert_accessible(page, "the report settings page")
    # Monday: ticked, then a closing time before the opening one is refused with a message.
    monday = page.get_by_label("Open on Monday")
    monday.focus()
    page.keyboard.press("Space")
    page.get_by_label("Monday opens").fill("09:00")
    page.get_by_label("Monday closes").fill("08:00")
    page.get_by_role("button", name="Save report settings").press("Enter")
    error = page.locator(".field-error", has_text="Monday must close after it opens")
    error.wait_for()
    assert page.get_by_label("Monday closes").get_attribute("aria-invalid") == "true"
    page.get_by_label("Monday closes").fill("17:00")
    for day in ("Tuesday", "Wednesday", "Thursday", "Friday"):
        page.get_by_label(f"Open on {day}").check()
        page.get_by_label(f"{day} opens").fill("09:00")
        page.get_by_label(f"{day} closes").fill("17:00")
    page.get_by_role("button", name="Save report settings").click()
    page.wait_for_url(f"{live_server.url}/reports/")
    assert page.get_by_text("business hours (Mon\u2013Fri 09:00\u201317:00)").count() == 1
    wait_for_reports(page)
    first = page.locator('section[data-report="first-response"]')
    assert "business hours only: Mon\u2013Fri 09:00\u201317:00" in first.inner_text()
    page.get_by_label("Calendar time").check()
    page.get_by_role("button", name="Show").click()
    wait_for_reports(page)
    assert "(calendar time)" in page.locator('section[data-report="first-response"]').inner_text()
