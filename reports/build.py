"""Which reports a person gets, each computed by its selector and laid out by `reports.tables`."""

from __future__ import annotations

from collections.abc import Callable

from reports import selectors, tables
from reports.aggregates import reporting
from reports.selectors import Scope
from reports.tables import Report

TITLES = {
    "volume": "Volume",
    "first-response": "First response time",
    "resolution": "Resolution time",
    "backlog": "Backlog",
    "rejected": "Rejected mail",
    "agents": "By agent",
}
SLUGS = tuple(TITLES)
# The rejected-mail log is an admin page; so is its report.
ADMIN_ONLY = {"rejected"}


def _first_response(scope: Scope) -> Report:
    return tables.first_response_report(
        selectors.first_responses(scope), scope.period, scope.business_hours
    )


def _agents(scope: Scope) -> Report:
    return tables.agents_report(
        selectors.agent_activity(scope),
        selectors.first_responses_by_agent(scope),
        scope.business_hours,
    )


BUILDERS: dict[str, Callable[[Scope], Report]] = {
    "volume": lambda scope: tables.volume_report(selectors.volume(scope), scope.period),
    "first-response": _first_response,
    "resolution": lambda scope: tables.resolution_report(
        selectors.resolutions(scope), scope.period
    ),
    "backlog": lambda scope: tables.backlog_report(selectors.backlog(scope), scope.period),
    "rejected": lambda scope: tables.rejected_report(selectors.rejected_mail(scope), scope.period),
    "agents": _agents,
}


def slugs_for(*, is_admin: bool) -> tuple[str, ...]:
    return tuple(slug for slug in SLUGS if is_admin or slug not in ADMIN_ONLY)


def report_for(scope: Scope, slug: str) -> Report:
    with reporting():
        return BUILDERS[slug](scope)
