"""A workspace's business hours, and time measured in them: pure, no Django.

A schedule gives each weekday its opening hours in the workspace's local wall-clock time (none:
closed that day). Stored as JSON on the workspace: {"0": [["09:00", "17:00"]], ...}, 0 being
Monday; an empty object is no schedule, and reports then count calendar time.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Ranges of days and hours are written with an en dash, as typeset.
DASH = "\u2013"
SHORT_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

Interval = tuple[time, time]


class ScheduleError(ValueError):
    """A schedule that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Schedule:
    # Seven entries, Monday first: each day's opening intervals, sorted and not overlapping.
    days: tuple[tuple[Interval, ...], ...]

    @property
    def is_open_at_all(self) -> bool:
        return any(self.days)

    def describe(self) -> str:
        """ "Mon\u2013Fri 09:00\u201317:00" style: runs of weekdays with the same hours."""
        parts: list[str] = []
        index = 0
        while index < 7:
            hours = self.days[index]
            end = index
            while end + 1 < 7 and self.days[end + 1] == hours:
                end += 1
            if hours:
                names = SHORT_WEEKDAYS[index]
                if end > index:
                    names += f"{DASH}{SHORT_WEEKDAYS[end]}"
                spans = ", ".join(f"{a:%H:%M}{DASH}{b:%H:%M}" for a, b in hours)
                parts.append(f"{names} {spans}")
            index = end + 1
        return "; ".join(parts) if parts else "closed every day"


NO_SCHEDULE = Schedule(days=((),) * 7)


def _clock(value: Any, weekday: int) -> time:
    if not isinstance(value, str):
        raise ScheduleError(f"{WEEKDAYS[weekday]}: times are written as HH:MM.")
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ScheduleError(
            f"{WEEKDAYS[weekday]}: {value!r} is not a time; write it as HH:MM, e.g. 09:00."
        ) from None


def schedule_from_json(data: Any) -> Schedule:
    """The schedule stored on a workspace; ScheduleError says what is wrong with it."""
    if not data:
        return NO_SCHEDULE
    if not isinstance(data, dict):
        raise ScheduleError("Business hours must map weekdays to opening hours.")
    days: list[tuple[Interval, ...]] = []
    for weekday in range(7):
        raw = data.get(str(weekday), [])
        if not isinstance(raw, list):
            raise ScheduleError(f"{WEEKDAYS[weekday]}: opening hours must be a list.")
        intervals: list[Interval] = []
        for pair in raw:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise ScheduleError(f"{WEEKDAYS[weekday]}: each opening needs a start and an end.")
            opens, closes = _clock(pair[0], weekday), _clock(pair[1], weekday)
            if closes <= opens:
                raise ScheduleError(
                    f"{WEEKDAYS[weekday]}: closing time {closes:%H:%M} must be after "
                    f"opening time {opens:%H:%M}."
                )
            intervals.append((opens, closes))
        intervals.sort()
        for (_, previous_close), (next_open, _) in itertools.pairwise(intervals):
            if next_open < previous_close:
                raise ScheduleError(f"{WEEKDAYS[weekday]}: opening hours overlap.")
        days.append(tuple(intervals))
    return Schedule(days=tuple(days))


def schedule_to_json(schedule: Schedule) -> dict[str, list[list[str]]]:
    return {
        str(weekday): [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in hours]
        for weekday, hours in enumerate(schedule.days)
        if hours
    }


def business_seconds(start: datetime, end: datetime, schedule: Schedule, zone: ZoneInfo) -> float:
    """Seconds between two instants that fall inside the schedule's opening hours, each day's
    hours read on that local date (so a day with a DST change keeps its wall-clock hours)."""
    if end <= start or not schedule.is_open_at_all:
        return 0.0
    total = 0.0
    day: date = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        for opens, closes in schedule.days[day.weekday()]:
            # In UTC: subtracting two datetimes of one zone would ignore a DST change between.
            low = max(datetime.combine(day, opens, tzinfo=zone).astimezone(UTC), start)
            high = min(datetime.combine(day, closes, tzinfo=zone).astimezone(UTC), end)
            if high > low:
                total += (high - low).total_seconds()
        day += timedelta(days=1)
    return total


class OpenHours:
    """A schedule's openings from one local date to another as epoch seconds with running
    totals: the business time between two instants inside that span is then two binary
    searches, where `business_seconds` walks every day between them (the reports time tens of
    thousands of conversations per request)."""

    def __init__(self, schedule: Schedule, zone: ZoneInfo, first: date, last: date) -> None:
        self.schedule, self.zone = schedule, zone
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.totals: list[float] = [0.0]  # open seconds before each opening
        day = first
        while day <= last:
            for opens, closes in schedule.days[day.weekday()]:
                start = datetime.combine(day, opens, tzinfo=zone).timestamp()
                end = datetime.combine(day, closes, tzinfo=zone).timestamp()
                self.starts.append(start)
                self.ends.append(end)
                self.totals.append(self.totals[-1] + end - start)
            day += timedelta(days=1)
        self.span = (
            datetime.combine(first, time(0), tzinfo=zone).timestamp(),
            datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).timestamp(),
        )

    def _open_until(self, instant: float) -> float:
        index = bisect_right(self.starts, instant)
        if index == 0:
            return 0.0
        last = index - 1
        return self.totals[last] + min(instant, self.ends[last]) - self.starts[last]

    def seconds(self, start: datetime, end: datetime) -> float:
        """`business_seconds(start, end, ...)`, by lookup when both lie inside the span."""
        return self.seconds_between(start.timestamp(), end.timestamp())

    def seconds_between(self, low: float, high: float) -> float:
        """The same for two instants given as epoch seconds."""
        if high <= low:
            return 0.0
        if low < self.span[0] or high > self.span[1]:
            start, end = datetime.fromtimestamp(low, UTC), datetime.fromtimestamp(high, UTC)
            return business_seconds(start, end, self.schedule, self.zone)
        return self._open_until(high) - self._open_until(low)
