"""The figures against answers worked out by hand (see conftest.py for the history)."""

from __future__ import annotations

from datetime import date

from reports import selectors, tables
from reports.selectors import Scope, Spread
from tests.reports.conftest import PERIOD, History

D28, D29, D30 = date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)
HOUR = 3600.0


def hours_of(spread: Spread) -> tuple:
    median = None if spread.median is None else round(spread.median / HOUR, 6)
    p90 = None if spread.p90 is None else round(spread.p90 / HOUR, 6)
    return median, p90, spread.timed, spread.total


def test_volume_counts_conversations_per_local_day_and_channel(history: History) -> None:
    volume = selectors.volume(history.scope())
    names = volume.channels
    by_name = {(day, names[channel]): n for (day, channel), n in volume.created.items()}
    # A was created at 23:30Z on the 28th: the 29th in Berlin.
    assert by_name == {(D28, "Sales"): 1, (D29, "Support"): 3, (D29, "Sales"): 1, (D30, "Sales"): 1}
    assert volume.received == {D28: 1, D29: 2}
    assert volume.sent == {D28: 2, D29: 3, D30: 1}


def test_first_response_medians_and_percentiles_per_day(history: History) -> None:
    figures = selectors.first_responses(history.scope())
    assert {day: hours_of(s) for day, s in figures.items()} == {
        D28: (4.0, 4.0, 1, 1),  # the reply sent before E was created does not count
        D29: (2.0, 5.2, 3, 4),  # 1 h, 2 h, 6 h; D has no reply yet
        D30: (3.0, 3.0, 1, 1),  # B: 22:30Z on the 29th is the 30th after the DST change
    }
    by_agent = selectors.first_responses_by_agent(history.scope())
    assert {who: hours_of(s) for who, s in by_agent.items()} == {
        history.alice.user_id: (2.0, 5.2, 3, 3),
        history.bob.user_id: (3.5, 3.9, 2, 2),
        None: (None, None, 0, 1),
    }


def test_resolution_counts_the_last_close_only_and_skips_reopened_threads(
    history: History,
) -> None:
    figures = selectors.resolutions(history.scope())
    # A 4 h, E 32 h (its first close was undone), F 2 h; C was reopened and stays unresolved.
    assert {day: hours_of(s) for day, s in figures.items()} == {D29: (4.0, 26.4, 3, 3)}


def test_backlog_at_the_end_of_each_local_day(history: History) -> None:
    figures = selectors.backlog(history.scope())
    # G open and assigned throughout, H closed before; K reopened (still assigned) on the 29th.
    assert tables.backlog_counts(figures, PERIOD) == [(1, 1), (3, 1), (3, 2)]


def test_rejected_mail_per_local_day_and_reason(history: History) -> None:
    assert selectors.rejected_mail(history.scope()) == {
        (D28, "too_large"): 1,
        (D29, "spam"): 2,
        (D29, "blocked_sender"): 1,
    }


def test_filters_by_channel(history: History) -> None:
    support = history.workspace.channels.get(name="Support")
    scope = history.scope(channel_id=support.pk)
    assert selectors.rejected_mail(scope) == {(D29, "spam"): 1, (D29, "blocked_sender"): 1}
    volume = selectors.volume(scope)
    assert volume.created == {(D29, support.pk): 3}
    assert tables.backlog_counts(selectors.backlog(scope), PERIOD) == [(1, 0), (2, 1), (2, 1)]


def test_agent_activity_counts_replies_and_distinct_closed_threads(history: History) -> None:
    activity = selectors.agent_activity(history.scope())
    assert list(activity.agents.values()) == [
        history.admin.full_name,
        history.alice.full_name,
        history.bob.full_name,
    ]
    assert activity.replies == {history.alice.user_id: 3, history.bob.user_id: 3}
    assert activity.closed == {history.alice.user_id: 3, history.bob.user_id: 1}


def test_an_agents_scope_is_the_threads_assigned_to_them(history: History) -> None:
    scope = history.scope(user_id=history.bob.user_id)
    assert selectors.volume(scope).created == {
        (D29, history.workspace.channels.get(name="Sales").pk): 1
    }
    assert tables.backlog_counts(selectors.backlog(scope), PERIOD) == [(0, 0), (1, 0), (1, 0)]
    assert list(selectors.agent_activity(scope).agents) == [history.bob.user_id]


def test_another_workspace_counts_only_its_own(history: History) -> None:
    other = Scope(workspace=history.other_admin.workspace, period=PERIOD)
    assert selectors.volume(other).created == {(D29, None): 1}
    assert {day: hours_of(s) for day, s in selectors.resolutions(other).items()} == {
        D29: (1.0, 1.0, 1, 1)
    }
    assert selectors.rejected_mail(other) == {(D29, "spam"): 1}
    assert tables.backlog_counts(selectors.backlog(other), PERIOD) == [(0, 0), (0, 0), (0, 0)]
    activity = selectors.agent_activity(other)
    assert list(activity.agents) == [history.other_admin.user_id]


def test_a_forward_is_not_a_first_response(history: History) -> None:
    """D (created 14:00Z on the 29th, no reply yet) is forwarded to a colleague outside the team
    an hour later: it is still waiting for its first response, and B's figures do not move."""
    from inbox.models import Message, Thread
    from tests.factories import MessageFactory

    d = Thread.objects.get(
        workspace=history.workspace, subject__isnull=False, assignee=history.bob.user
    )
    MessageFactory(
        thread=d,
        created_at=d.created_at.replace(hour=15),
        direction=Message.Direction.OUT,
        sent_by=history.bob.user,
        is_forward=True,
    )
    figures = selectors.first_responses(history.scope())
    assert hours_of(figures[D29]) == (2.0, 5.2, 3, 4)
    by_agent = selectors.first_responses_by_agent(history.scope())
    assert hours_of(by_agent[None]) == (None, None, 0, 1)
