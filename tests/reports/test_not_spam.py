""" "Not spam" is its own event (the timeline says so) and, for the reports, a reopen."""

from __future__ import annotations

from reports import selectors, tables
from tests.reports.conftest import PERIOD, History, event, thread_created, utc


def test_a_thread_back_from_spam_is_open_again_in_the_backlog(history: History) -> None:
    support = history.workspace.channels.get(name="Support")
    thread = thread_created(history.workspace, utc(20, 8), channel=support)
    event(thread, "spam", utc(27, 12), history.admin)
    event(thread, "not_spam", utc(29, 12), history.admin)
    figures = selectors.backlog(history.scope())
    # (assigned, unassigned) open threads at the end of each day: as in test_selectors'
    # backlog, [(1, 1), (3, 1), (3, 2)], plus this unassigned thread from the 29th on.
    assert tables.backlog_counts(figures, PERIOD) == [(1, 1), (3, 2), (3, 3)]
