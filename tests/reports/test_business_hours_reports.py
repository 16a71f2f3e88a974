"""First responses in business hours: the selectors' known answers, the toggle on the page, and
the settings page that sets the hours."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.test import Client

from helpdesk.models import Workspace
from reports import selectors
from reports.business_hours import schedule_from_json
from tests.factories import AdminFactory, AgentFactory
from tests.reports.conftest import History
from tests.reports.test_selectors import D28, D29, D30, hours_of
from tests.reports.test_views import RANGE, cells, client_for

# Every day 09:00-17:00 in Berlin.
NINE_TO_FIVE = {str(day): [["09:00", "17:00"]] for day in range(7)}


def test_first_responses_count_only_opening_hours(history: History) -> None:
    scope = replace(history.scope(), business_hours=schedule_from_json(NINE_TO_FIVE))
    figures = selectors.first_responses(scope)
    # E 13:00-17:00 local: 4 h. A 00:30-01:30: 0. C 12:00-14:00 CEST: 2 h. F 07:00-13:00
    # CEST: 4 h (from 09:00). B 00:30-03:30 on the 30th: 0. D: no reply yet.
    assert {day: hours_of(s) for day, s in figures.items()} == {
        D28: (4.0, 4.0, 1, 1),
        D29: (2.0, 3.6, 3, 4),
        D30: (0.0, 0.0, 1, 1),
    }
    by_agent = selectors.first_responses_by_agent(scope)
    assert {who: hours_of(s) for who, s in by_agent.items()} == {
        history.alice.user_id: (2.0, 3.6, 3, 3),
        history.bob.user_id: (2.0, 3.6, 2, 2),
        None: (None, None, 0, 1),
    }


def test_the_page_times_first_responses_in_business_hours_with_a_toggle(history: History) -> None:
    Workspace.objects.filter(pk=history.workspace.pk).update(business_hours=NINE_TO_FIVE)
    client = client_for(history.admin)

    business = client.get(f"/reports/first-response/?{RANGE}").content.decode()
    assert "business hours only: Mon\u2013Sun 09:00\u201317:00" in business
    assert cells(business, "first-response")[1][1:3] == ["2.0", "3.6"]

    calendar = client.get(f"/reports/first-response/?{RANGE}&time=calendar").content.decode()
    assert "(calendar time)" in calendar
    assert cells(calendar, "first-response")[1][1:3] == ["2.0", "5.2"]
    # The filters keep the choice for every report the page loads.
    page = client.get(f"/reports/?{RANGE}&time=calendar").content.decode()
    assert "time=calendar" in page and 'value="calendar" checked' in page


def test_without_business_hours_there_is_no_toggle_and_calendar_time_counts(
    history: History,
) -> None:
    page = client_for(history.admin).get(f"/reports/?{RANGE}").content.decode()
    assert 'name="time"' not in page
    report = client_for(history.admin).get(f"/reports/first-response/?{RANGE}").content.decode()
    assert "(calendar time)" in report


def post_settings(client: Client, **changes: str) -> object:
    data = {"time_zone": "Europe/Berlin"}
    for day in range(5):
        data |= {f"open_{day}": "on", f"opens_{day}": "09:00", f"closes_{day}": "17:30"}
    data |= changes
    return client.post("/reports/settings/", data)


@pytest.mark.django_db
def test_an_admin_sets_time_zone_and_business_hours() -> None:
    admin = AdminFactory()
    other = AdminFactory()
    client = client_for(admin)
    form = client.get("/reports/settings/").content.decode()
    assert 'name="open_0"' in form and "Monday opens" in form

    response = post_settings(client)
    assert response.status_code == 302 and response["Location"] == "/reports/"
    admin.workspace.refresh_from_db()
    assert admin.workspace.time_zone == "Europe/Berlin"
    assert admin.workspace.business_hours == {str(d): [["09:00", "17:30"]] for d in range(5)}
    other.workspace.refresh_from_db()
    assert other.workspace.business_hours == {} and other.workspace.time_zone == "UTC"
    page = client.get("/reports/").content.decode()
    assert "Mon\u2013Fri 09:00\u201317:30" in page
    # Reopened, the form shows what was saved.
    again = client.get("/reports/settings/").content.decode()
    assert 'name="opens_4" value="09:00:00"' in again or 'name="opens_4" value="09:00"' in again


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"closes_2": "08:00"}, "Wednesday must close after it opens (09:00)"),
        ({"opens_1": ""}, "Enter when Tuesday opens, or untick it."),
        ({"opens_3": "9 in the morning"}, "Enter a valid time."),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice."),
    ],
)
def test_invalid_settings_are_refused_with_a_message_and_nothing_saved(changes, error) -> None:
    admin = AdminFactory()
    response = post_settings(client_for(admin), **changes)
    assert response.status_code == 200
    page = response.content.decode()
    assert error in page and 'aria-invalid="true"' in page
    admin.workspace.refresh_from_db()
    assert admin.workspace.business_hours == {}


@pytest.mark.django_db
def test_only_admins_change_report_settings() -> None:
    agent = AgentFactory()
    client = client_for(agent)
    assert client.get("/reports/settings/").status_code == 403
    assert post_settings(client).status_code == 403
    agent.workspace.refresh_from_db()
    assert agent.workspace.business_hours == {}
    assert "/reports/settings/" not in client.get("/reports/").content.decode()
