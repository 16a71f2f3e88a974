"""/reports/: who sees what, the filters, and the CSV (the same rows as the page's table)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from reports import build
from reports.selectors import Scope
from tests.factories import AdminFactory, AgentFactory, EmailChannelFactory, TeamFactory
from tests.reports.conftest import PERIOD, History

RANGE = "range=custom&from=2026-03-28&to=2026-03-30"


def client_for(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def cells(html: str, slug: str) -> list[list[str]]:
    """The rows of one report's table on the page, as the text of their cells."""
    section = html.split(f'data-report="{slug}"', 1)[1].split("</section>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        texts = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append(["" if "no data" in t else re.sub(r"<[^>]+>", "", t).strip() for t in texts])
    return rows


def test_the_page_offers_each_report_and_the_nav_links_to_it(history: History) -> None:
    page = client_for(history.admin).get("/reports/").content.decode()
    for slug in build.SLUGS:
        assert f'hx-get="/reports/{slug}/?' in page
        assert f'href="/reports/{slug}/?' in page  # works without JavaScript
    assert 'href="/reports/" aria-current="page">Reports</a>' in page


@pytest.mark.parametrize("slug", build.SLUGS)
def test_each_reports_csv_has_the_rows_of_its_table(history: History, slug: str) -> None:
    client = client_for(history.admin)
    page = client.get(f"/reports/{slug}/?{RANGE}").content.decode()
    assert "<svg" in page or slug == "agents"
    response = client.get(f"/reports/{slug}.csv?{RANGE}")
    assert response["Content-Type"].startswith("text/csv")
    assert f"{slug}-20260328-20260330.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    report = build.report_for(history.scope(), slug)
    assert rows[0] == list(report.table.columns)
    assert rows[1:] == [["" if c is None else str(c) for c in row] for row in report.table.rows]
    assert rows[1:] == cells(page, slug)


def test_the_first_response_csv_holds_the_hand_computed_figures(history: History) -> None:
    text = client_for(history.admin).get(f"/reports/first-response.csv?{RANGE}").content.decode()
    assert text.splitlines() == [
        "Period,Median (hours),90th percentile (hours),Conversations timed,Not replied yet",
        "2026-03-28,4.0,4.0,1,0",
        "2026-03-29,2.0,5.2,3,1",
        "2026-03-30,3.0,3.0,1,0",
    ]


def test_an_htmx_request_gets_the_section_alone(history: History) -> None:
    response = client_for(history.admin).get(
        f"/reports/backlog/?{RANGE}", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card report" id="report-backlog"')
    assert "<html" not in html


def test_an_agent_sees_only_their_own_figures_and_no_rejected_mail(history: History) -> None:
    client = client_for(history.bob)
    page = client.get("/reports/").content.decode()
    assert "/reports/rejected/" not in page
    assert client.get(f"/reports/rejected/?{RANGE}").status_code == 404
    assert client.get(f"/reports/rejected.csv?{RANGE}").status_code == 404
    agents = client.get(f"/reports/agents.csv?{RANGE}").content.decode().splitlines()
    assert len(agents) == 2 and agents[1].startswith(history.bob.full_name)
    backlog = client.get(f"/reports/backlog.csv?{RANGE}").content.decode().splitlines()
    assert backlog[1:] == ["2026-03-28,0,0,0", "2026-03-29,1,0,1", "2026-03-30,1,0,1"]


def test_another_workspaces_channel_or_team_is_a_404(history: History) -> None:
    client = client_for(history.admin)
    foreign_channel = EmailChannelFactory(workspace=history.other_admin.workspace)
    foreign_team = TeamFactory(workspace=history.other_admin.workspace)
    assert client.get(f"/reports/volume/?channel={foreign_channel.pk}").status_code == 404
    assert client.get(f"/reports/volume.csv?team={foreign_team.pk}").status_code == 404
    assert client.get("/reports/volume/?channel=nonsense").status_code == 404


def test_another_workspaces_agent_never_sees_this_workspaces_figures(history: History) -> None:
    stranger = AgentFactory(workspace=history.other_admin.workspace)
    client = client_for(stranger)
    for slug in ("volume", "backlog", "resolution"):
        rows = list(
            csv.reader(io.StringIO(client.get(f"/reports/{slug}.csv?{RANGE}").content.decode()))
        )
        assert all(cell in ("0", "") for row in rows[1:] for cell in row[1:]), (slug, rows)


def test_a_login_without_a_workspace_is_refused(db) -> None:
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory())
    assert client.get("/reports/").status_code == 403
    assert Client().get("/reports/").status_code in (302, 403)


def test_a_bad_custom_range_falls_back_and_says_why(history: History) -> None:
    page = client_for(history.admin).get("/reports/?range=custom&from=soon").content.decode()
    assert "Enter both dates as YYYY-MM-DD." in page


def test_the_scope_follows_the_workspace_time_zone(history: History) -> None:
    # The same history read in UTC: A (23:30Z on the 28th) counts on the 28th.
    history.workspace.time_zone = "UTC"
    history.workspace.save()
    text = client_for(history.admin).get(f"/reports/volume.csv?{RANGE}").content.decode()
    header, first = text.splitlines()[:2]
    assert header.startswith("Period,Created: Sales,Created: Support")
    assert first.startswith("2026-03-28,1,1,")  # E (Sales) and A (Support)


def test_admin_scope_is_the_whole_workspace(history: History) -> None:
    scope = Scope(workspace=history.workspace, period=PERIOD)
    assert scope.user_id is None
    other_admin = AdminFactory(workspace=history.workspace)
    text = client_for(other_admin).get(f"/reports/agents.csv?{RANGE}").content.decode()
    assert len(text.splitlines()) == 1 + 4  # every person of the workspace


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Support", "Support"),
        (-3, -3),
        (2.5, 2.5),
        (None, ""),
    ],
)
def test_a_csv_cell_that_a_spreadsheet_would_run_is_written_as_text(value, written) -> None:
    from reports.views import csv_cell

    assert csv_cell(value) == written


def test_an_agent_named_like_a_formula_is_text_in_the_agents_csv(history: History) -> None:
    user = history.alice.user
    user.first_name, user.last_name = '=HYPERLINK("http://x.example")', ""
    user.save()
    text = client_for(history.admin).get(f"/reports/agents.csv?{RANGE}").content.decode()
    assert "'=HYPERLINK" in text
    assert not re.search(r'(^|,)"?=HYPERLINK', text, flags=re.M)
