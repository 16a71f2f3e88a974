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
