"""Business hours and time measured in them, pure: tables of known answers."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from reports.business_hours import (
    NO_SCHEDULE,
    OpenHours,
    ScheduleError,
    business_seconds,
    schedule_from_json,
    schedule_to_json,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS_9_TO_5 = schedule_from_json({str(d): [["09:00", "17:00"]] for d in range(5)})
SPLIT_DAY = schedule_from_json({"0": [["13:00", "17:00"], ["08:00", "12:00"]]})
ALL_DAY_SUNDAY = schedule_from_json({"6": [["00:00", "23:59"]]})


def berlin(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


HOUR = 3600.0


@pytest.mark.parametrize(
    ("start", "end", "schedule", "expected"),
    [
        # Wednesday 25 March 2026, inside the hours.
        (berlin(25, 10), berlin(25, 11, 30), WEEKDAYS_9_TO_5, 1.5 * HOUR),
        # Before opening to after closing: the whole day.
        (berlin(25, 6), berlin(25, 20), WEEKDAYS_9_TO_5, 8 * HOUR),
        # Overnight: 16:00-17:00 and 09:00-10:00.
        (berlin(25, 16), berlin(26, 10), WEEKDAYS_9_TO_5, 2 * HOUR),
        # Friday 16:00 to Monday 10:00: the weekend is closed.
        (berlin(27, 16), berlin(30, 10), WEEKDAYS_9_TO_5, 2 * HOUR),
        # Saturday to Sunday: nothing.
        (berlin(28, 9), berlin(29, 18), WEEKDAYS_9_TO_5, 0.0),
        # Sunday 29 March is the DST change (02:00 -> 03:00): wall-clock hours still count whole.
        (berlin(29, 0), berlin(30, 0), ALL_DAY_SUNDAY, 22 * HOUR + 59 * 60),
        # A day with a lunch break (intervals given out of order are sorted).
        (berlin(30, 7), berlin(30, 18), SPLIT_DAY, 8 * HOUR),
        (berlin(30, 11), berlin(30, 14), SPLIT_DAY, 2 * HOUR),
        # End before start, and no schedule.
        (berlin(25, 11), berlin(25, 10), WEEKDAYS_9_TO_5, 0.0),
        (berlin(25, 10), berlin(25, 11), NO_SCHEDULE, 0.0),
    ],
)
def test_business_seconds(start, end, schedule, expected) -> None:
    assert business_seconds(start, end, schedule, BERLIN) == pytest.approx(expected)


def test_instants_in_utc_are_read_in_the_workspaces_zone() -> None:
    # 08:30Z on Wednesday 25 March is 09:30 in Berlin (CET): half an hour open until 10:00.
    start = datetime(2026, 3, 25, 8, 30, tzinfo=UTC)
    end = datetime(2026, 3, 25, 9, 0, tzinfo=UTC)
    assert business_seconds(start, end, WEEKDAYS_9_TO_5, BERLIN) == 1800.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"0": [["17:00", "09:00"]]},
            "Monday: closing time 09:00 must be after opening time 17:00.",
        ),
        (
            {"2": [["9am", "17:00"]]},
            "Wednesday: '9am' is not a time; write it as HH:MM, e.g. 09:00.",
        ),
        ({"4": [["09:00", "13:00"], ["12:00", "17:00"]]}, "Friday: opening hours overlap."),
        ({"1": [["09:00"]]}, "Tuesday: each opening needs a start and an end."),
        (["09:00"], "Business hours must map weekdays to opening hours."),
    ],
)
def test_invalid_schedules_say_what_to_fix(data, message) -> None:
    with pytest.raises(ScheduleError) as error:
        schedule_from_json(data)
    assert str(error.value) == message


def test_a_schedule_round_trips_through_json_and_describes_itself() -> None:
    assert schedule_from_json(schedule_to_json(WEEKDAYS_9_TO_5)) == WEEKDAYS_9_TO_5
    assert schedule_from_json({}) == NO_SCHEDULE
    assert WEEKDAYS_9_TO_5.describe() == "Mon\u2013Fri 09:00\u201317:00"
    assert SPLIT_DAY.describe() == "Mon 08:00\u201312:00, 13:00\u201317:00"
    assert NO_SCHEDULE.describe() == "closed every day"
    assert SPLIT_DAY.days[0][0] == (time(8), time(12))


def test_open_hours_lookups_agree_with_walking_the_days() -> None:
    """Random pairs of instants across the spring and autumn DST changes, with a split-day
    schedule and a weekdays one: the lookup and the day walk give the same seconds, and pairs
    outside the prepared span fall back to the walk."""
    rng = random.Random(3)
    schedules = (WEEKDAYS_9_TO_5, SPLIT_DAY, ALL_DAY_SUNDAY)
    base = datetime(2026, 3, 20, tzinfo=UTC)
    for schedule in schedules:
        hours = OpenHours(schedule, BERLIN, date(2026, 3, 19), date(2026, 11, 5))
        for _ in range(400):
            start = base + timedelta(minutes=rng.randint(0, 60 * 24 * 240))
            end = start + timedelta(minutes=rng.choice((5, 90, 600, 3000, 20000)))
            expected = business_seconds(start, end, schedule, BERLIN)
            assert hours.seconds(start, end) == pytest.approx(expected), (start, end)
        outside = datetime(2027, 1, 4, 10, tzinfo=BERLIN)
        assert hours.seconds(outside, outside + timedelta(hours=30)) == pytest.approx(
            business_seconds(outside, outside + timedelta(hours=30), schedule, BERLIN)
        )
