"""The snooze menu's times on the agent's clock, across days, weeks and DST changes (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inbox import snooze_times
from inbox.snooze_times import InvalidSnoozeTime, choice_until, parse_picked, snooze_choices


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "zone", "key", "expected"),
    [
        # Berlin is UTC+1 in winter. 10:00 local: in 3 hours is 13:00 local.
        (utc(2026, 12, 3, 9, 0), "Europe/Berlin", "later", utc(2026, 12, 3, 12, 0)),
        # 14:30 local: 17:00 comes sooner than in 3 hours and is more than an hour away.
        (utc(2026, 12, 3, 13, 30), "Europe/Berlin", "later", utc(2026, 12, 3, 16, 0)),
        # 16:30 local: 17:00 is too close, so in 3 hours.
        (utc(2026, 12, 3, 15, 30), "Europe/Berlin", "later", utc(2026, 12, 3, 18, 30)),
        # Tomorrow morning is 09:00 on the agent's clock, not the server's.
        (utc(2026, 12, 3, 9, 0), "Europe/Berlin", "tomorrow", utc(2026, 12, 4, 8, 0)),
        (utc(2026, 12, 3, 9, 0), "America/New_York", "tomorrow", utc(2026, 12, 4, 14, 0)),
        # 23:30 on Thursday in Tokyo is already Friday 08:30: tomorrow is Saturday there.
        (utc(2026, 12, 3, 23, 30), "Asia/Tokyo", "tomorrow", utc(2026, 12, 5, 0, 0)),
        # Next week: Monday 09:00. Thursday 3 Dec -> Monday 7 Dec.
        (utc(2026, 12, 3, 9, 0), "Europe/Berlin", "next_week", utc(2026, 12, 7, 8, 0)),
        # On a Monday, next week is the Monday after.
        (utc(2026, 12, 7, 9, 0), "Europe/Berlin", "next_week", utc(2026, 12, 14, 8, 0)),
        # DST: Berlin springs forward on Sunday 29 March 2026; Monday 09:00 is then UTC+2.
        (utc(2026, 3, 27, 9, 0), "Europe/Berlin", "next_week", utc(2026, 3, 30, 7, 0)),
        # ...and falls back on 25 October: Saturday 09:00 is +2, Monday 09:00 is +1.
        (utc(2026, 10, 24, 9, 0), "Europe/Berlin", "tomorrow", utc(2026, 10, 25, 8, 0)),
        (utc(2026, 10, 24, 9, 0), "Europe/Berlin", "next_week", utc(2026, 10, 26, 8, 0)),
        # "In 3 hours" across the DST change is 3 real hours.
        (utc(2026, 3, 29, 0, 30), "Europe/Berlin", "later", utc(2026, 3, 29, 3, 30)),
        # A blank or unknown zone is UTC.
        (utc(2026, 12, 3, 9, 0), "", "tomorrow", utc(2026, 12, 4, 9, 0)),
        (utc(2026, 12, 3, 9, 0), "Mars/Olympus", "tomorrow", utc(2026, 12, 4, 9, 0)),
    ],
)
def test_choices_land_on_the_agents_wall_clock(now, zone, key, expected):
    assert choice_until(key, now=now, zone_name=zone) == expected


def test_later_today_says_in_three_hours_when_that_is_tomorrow():
    choices = snooze_choices(utc(2026, 12, 3, 22, 0), "Europe/Berlin")  # 23:00 local
    later = choices[0]
    assert later.label == "In 3 hours"
    assert later.when == "Fri 02:00"
    assert [choice.key for choice in choices] == ["later", "tomorrow", "next_week"]


def test_choices_describe_their_time_on_the_agents_clock():
    choices = snooze_choices(utc(2026, 12, 3, 13, 30), "Europe/Berlin")
    assert [(choice.label, choice.when) for choice in choices] == [
        ("Later today", "17:00"),
        ("Tomorrow morning", "Fri 09:00"),
        ("Next week", "Mon 09:00"),
    ]


def test_an_unknown_choice_is_refused():
    with pytest.raises(InvalidSnoozeTime):
        choice_until("someday", now=utc(2026, 12, 3, 9, 0), zone_name="UTC")


def test_a_picked_time_is_read_on_the_agents_clock():
    now = utc(2026, 12, 3, 9, 0)
    assert parse_picked("2026-12-10T09:30", now=now, zone_name="Europe/Berlin") == utc(
        2026, 12, 10, 8, 30
    )
    # Summer time: the same wall-clock time is one hour earlier in UTC.
    assert parse_picked("2027-07-01T09:30", now=now, zone_name="Europe/Berlin") == utc(
        2027, 7, 1, 7, 30
    )


def test_a_picked_time_skipped_by_dst_lands_after_the_gap():
    # 02:30 on 28 March 2027 does not exist in Berlin (clocks jump from 02:00 to 03:00).
    until = parse_picked("2027-03-28T02:30", now=utc(2026, 12, 3, 9, 0), zone_name="Europe/Berlin")
    assert until == utc(2027, 3, 28, 1, 30)  # 03:30 local


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        ("", "Enter a date and a time"),
        ("next tuesday", "Enter a date and a time"),
        ("2026-12-10T09:30+02:00", "Enter a date and a time"),
        ("2026-12-03T09:00", "Pick a time in the future."),
        ("2026-12-02T12:00", "Pick a time in the future."),
        ("2028-12-03T09:00", "Pick a time within the next year."),
    ],
)
def test_a_picked_time_must_be_a_future_date_and_time(value, sentence):
    with pytest.raises(InvalidSnoozeTime, match=sentence):
        parse_picked(value, now=utc(2026, 12, 3, 9, 0), zone_name="UTC")


def test_describe_names_the_day_when_it_is_not_today():
    zone = snooze_times.zone_for("Europe/Berlin")
    now = utc(2026, 12, 3, 9, 0)
    assert snooze_times.describe(utc(2026, 12, 3, 16, 0), now=now, zone=zone) == "17:00"
    assert snooze_times.describe(utc(2026, 12, 21, 8, 0), now=now, zone=zone) == "Mon 21 Dec, 09:00"
    assert (
        snooze_times.describe(utc(2027, 1, 4, 8, 0), now=now, zone=zone) == "Mon 4 Jan 2027, 09:00"
    )


def test_picker_bounds_are_on_the_agents_clock():
    assert snooze_times.picker_bounds(utc(2026, 12, 3, 9, 0), "Europe/Berlin") == (
        "2026-12-03T10:01",
        "2027-12-04T10:00",
    )


def test_the_history_label_is_absolute_and_names_the_zone():
    zone = snooze_times.zone_for("America/New_York")
    assert (
        snooze_times.describe_absolute(utc(2026, 12, 7, 14, 0), zone=zone)
        == "Mon 7 Dec 2026, 09:00 (America/New_York)"
    )
