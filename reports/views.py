"""The reports page and its CSV exports: thin adapters over reports.build."""

from __future__ import annotations

import csv
import zoneinfo
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from channels_cfg.models import EmailChannel
from helpdesk.models import Team, Workspace
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import admin_required, agent_required, get_scoped_or_404, scoped
from reports import build
from reports.business_hours import Schedule, ScheduleError, schedule_from_json
from reports.forms import ReportSettingsForm
from reports.periods import PRESETS, Period, period_from
from reports.selectors import Scope

FILTER_NAMES = ("range", "from", "to", "channel", "team", "time")


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def workspace_schedule(workspace: Workspace) -> Schedule | None:
    """The workspace's business hours, None without any open day (or, never expected, with a
    stored schedule the settings form would not have saved)."""
    try:
        schedule = schedule_from_json(workspace.business_hours)
    except ScheduleError:
        return None
    return schedule if schedule.is_open_at_all else None


def _scoped_id(request: AgentRequest, name: str, model: Any) -> int | None:
    """A filter's id, 404 unless it names an object of this workspace."""
    value = request.GET.get(name, "")
    if not value:
        return None
    return int(get_scoped_or_404(model, request.workspace, pk=value).pk)


def _scope(request: AgentRequest) -> tuple[Scope, str]:
    zone = _zone(request.workspace.time_zone)
    schedule = workspace_schedule(request.workspace)
    period, note = period_from(
        preset=request.GET.get("range", ""),
        first=request.GET.get("from", ""),
        last=request.GET.get("to", ""),
        today=timezone.now().astimezone(zone).date(),
        zone=zone,
    )
    scope = Scope(
        workspace=request.workspace,
        period=period,
        channel_id=_scoped_id(request, "channel", EmailChannel),
        team_id=_scoped_id(request, "team", Team),
        user_id=None if request.agent.is_admin else request.agent.user_id,
        business_hours=None if request.GET.get("time") == "calendar" else schedule,
    )
    return scope, note


def _query(request: AgentRequest, period: Period) -> str:
    params = {name: request.GET[name] for name in FILTER_NAMES if request.GET.get(name)}
    params["range"] = period.preset
    return urlencode(params)


def _page_context(request: AgentRequest, scope: Scope, note: str) -> dict[str, Any]:
    return {
        "sections": [
            (slug, build.TITLES[slug]) for slug in build.slugs_for(is_admin=request.agent.is_admin)
        ],
        "period": scope.period,
        "scope": scope,
        "note": note,
        "presets": PRESETS,
        "query": _query(request, scope.period),
        "channels": scoped(EmailChannel, request.workspace).order_by("name", "id"),
        "teams": scoped(Team, request.workspace).order_by("name", "id"),
        "own_figures": not request.agent.is_admin,
        "schedule": workspace_schedule(request.workspace),
    }


@agent_required
@require_GET
def reports_index(request: AgentRequest) -> HttpResponse:
    """The filters and a place for each report; each report is its own request (htmx loads
    them side by side; without JavaScript each place links to its report's page)."""
    scope, note = _scope(request)
    return render(request, "reports/index.html", _page_context(request, scope, note))


@agent_required
@require_GET
def report_detail(request: AgentRequest, slug: str) -> HttpResponse:
    """One report: its section for htmx, else the page with this report drawn."""
    if slug not in build.slugs_for(is_admin=request.agent.is_admin):
        raise Http404("No such report")
    scope, note = _scope(request)
    context = _page_context(request, scope, note)
    context["report"] = build.report_for(scope, slug)
    if request.htmx:
        return render(request, "reports/index.html#report", context)
    context["drawn"] = slug
    return render(request, "reports/index.html", context)


@agent_required
@require_GET
def report_csv(request: AgentRequest, slug: str) -> HttpResponse:
    """One report's table as CSV: the same rows the page shows."""
    if slug not in build.slugs_for(is_admin=request.agent.is_admin):
        raise Http404("No such report")
    scope, _ = _scope(request)
    report = build.report_for(scope, slug)
    period = scope.period
    filename = f"{slug}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([csv_cell(column) for column in report.table.columns])
    for row in report.table.rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return response


@admin_required
@require_http_methods(["GET", "POST"])
def report_settings(request: AgentRequest) -> HttpResponse:
    """The workspace's time zone and business hours, which the reports count in."""
    workspace = request.workspace
    if request.method == "POST":
        form = ReportSettingsForm(request.POST)
        if form.is_valid():
            workspace.time_zone = form.cleaned_data["time_zone"]
            workspace.business_hours = form.business_hours_json()
            workspace.save(update_fields=["time_zone", "business_hours"])
            schedule = form.schedule()
            hours = (
                f"first responses are timed in business hours ({schedule.describe()})"
                if schedule.is_open_at_all
                else "first responses are timed in calendar time"
            )
            messages.success(request, f"Report settings saved: {workspace.time_zone}; {hours}.")
            return redirect("reports:index")
    else:
        form = ReportSettingsForm(
            initial=ReportSettingsForm.initial_for(workspace.time_zone, workspace.business_hours)
        )
    return render(request, "reports/settings.html", {"form": form})


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell as a spreadsheet should read it: text that a spreadsheet would run as a formula
    (a channel or agent named "=HYPERLINK(...)") gets a leading apostrophe; numbers stay."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
