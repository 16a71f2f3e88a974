"""Bucket boundaries as the SQL draws them (width_bucket on PostgreSQL, a CASE on SQLite): a row
at a local midnight belongs to the day that begins there, the period's first and last instants
to its first and last day."""

from __future__ import annotations

from datetime import date, timedelta

from reports import selectors
from reports.periods import day_start
from tests.reports.conftest import BERLIN, PERIOD, History, message, thread_created

D28, D29, D30 = date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)


def test_a_row_at_local_midnight_counts_on_the_day_it_begins(history: History) -> None:
    support = history.workspace.channels.get(name="Support")
    before = selectors.volume(history.scope())
    # Midnight of the 29th in Berlin (23:00Z on the 28th), the first and the last instant.
    for at in (
        day_start(D29, BERLIN),
        PERIOD.starts_at,
        PERIOD.ends_at - timedelta(microseconds=1),
    ):
        thread = thread_created(history.workspace, at, channel=support)
        message(thread, at)
    after = selectors.volume(history.scope())
    added = {
        day: after.received.get(day, 0) - before.received.get(day, 0) for day in (D28, D29, D30)
    }
    assert added == {D28: 1, D29: 1, D30: 1}
    created = {
        day: after.created.get((day, support.pk), 0) - before.created.get((day, support.pk), 0)
        for day in (D28, D29, D30)
    }
    assert created == {D28: 1, D29: 1, D30: 1}


def test_first_responses_bucket_a_conversation_created_at_midnight_on_that_day(
    history: History,
) -> None:
    before = selectors.first_responses(history.scope())
    thread = thread_created(history.workspace, day_start(D30, BERLIN))
    message(thread, day_start(D30, BERLIN) + timedelta(hours=1), out=True, by=history.alice)
    after = selectors.first_responses(history.scope())
    assert after[D30].total == before[D30].total + 1
    assert after[D29] == before[D29]
