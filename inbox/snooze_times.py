"""When a snooze ends: the menu's choices and a picked date-time, on the agent's own clock.

Pure functions over an aware `now` and an IANA zone name: no ORM, no clock of their own.
Wall-clock choices ("tomorrow 09:00") are built in the zone and converted through UTC, so
they stay right across a daylight-saving change; "in 3 hours" is 3 real hours.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

LATER_HOURS = 3
END_OF_DAY = time(17, 0)
MORNING = time(9, 0)
# "Later today" is 17:00 when that comes at least this soon and is not too close to now.
END_OF_DAY_AT_LEAST = timedelta(hours=1)
# A picked time must be this far ahead (the wake-up task runs every minute) and within a year.
SOONEST = timedelta(minutes=1)
LATEST = timedelta(days=366)


class InvalidSnoozeTime(ValueError):
    """The picked time cannot be used; `str(error)` says why, for the person who picked it."""


@dataclass(frozen=True)
class SnoozeChoice:
    key: str  # "later", "tomorrow", "next_week": the form value
    label: str  # "Later today"
    until: datetime  # aware, UTC
    when: str  # "17:00", "Tue 09:00", "Mon 7 Dec, 09:00": on the agent's clock


def zone_for(name: str) -> zoneinfo.ZoneInfo:
    """The named zone, or UTC for a blank or unknown name (a renamed zone must not break pages)."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def wall_clock(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """`day` at `at` in `zone`, in UTC. A time skipped by a DST change lands just after it."""
    local = datetime.combine(day, at, tzinfo=zone)
    return local.astimezone(UTC)


def later_today(now: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """17:00 today when it is 1 to 3 hours away (the end of the working day), else in 3 hours."""
    local = now.astimezone(zone)
    end_of_day = wall_clock(local.date(), END_OF_DAY, zone)
    in_three_hours = now + timedelta(hours=LATER_HOURS)
    if now + END_OF_DAY_AT_LEAST <= end_of_day < in_three_hours:
        return end_of_day
    return in_three_hours.astimezone(UTC)


def tomorrow_morning(now: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    return wall_clock(now.astimezone(zone).date() + timedelta(days=1), MORNING, zone)


def next_week(now: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """Next Monday 09:00 (a week from today when today is Monday)."""
    today = now.astimezone(zone).date()
    return wall_clock(today + timedelta(days=7 - today.weekday()), MORNING, zone)


def describe(until: datetime, *, now: datetime, zone: zoneinfo.ZoneInfo) -> str:
    """Short and unambiguous on the agent's clock: "17:00", "Tue 09:00", "Mon 7 Dec, 09:00"."""
    local, today = until.astimezone(zone), now.astimezone(zone).date()
    clock = f"{local:%H:%M}"
    days = (local.date() - today).days
    if days == 0:
        return clock
    if 0 < days < 7:
        return f"{local:%a} {clock}"
    year = f" {local.year}" if local.year != today.year else ""
    return f"{local:%a} {local.day} {local:%b}{year}, {clock}"


def describe_absolute(until: datetime, *, zone: zoneinfo.ZoneInfo) -> str:
    """For the history, read later: "Mon 7 Dec 2026, 09:00 (Europe/Berlin)"."""
    local = until.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({zone.key})"


def snooze_choices(now: datetime, zone_name: str) -> list[SnoozeChoice]:
    """The menu: later today, tomorrow morning, next week, each with its time shown."""
    zone = zone_for(zone_name)
    later = later_today(now, zone)
    later_is_today = later.astimezone(zone).date() == now.astimezone(zone).date()
    choices = [
        ("later", "Later today" if later_is_today else f"In {LATER_HOURS} hours", later),
        ("tomorrow", "Tomorrow morning", tomorrow_morning(now, zone)),
        ("next_week", "Next week", next_week(now, zone)),
    ]
    return [
        SnoozeChoice(key, label, until, describe(until, now=now, zone=zone))
        for key, label, until in choices
    ]


def choice_until(key: str, *, now: datetime, zone_name: str) -> datetime:
    for choice in snooze_choices(now, zone_name):
        if choice.key == key:
            return choice.until
    raise InvalidSnoozeTime("Choose when the conversation should come back.")


def parse_picked(value: str, *, now: datetime, zone_name: str) -> datetime:
    """A `datetime-local` value ("2026-12-07T09:30") on the agent's clock, as UTC."""
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidSnoozeTime("Enter a date and a time, like 2026-12-07 09:30.") from None
    if naive.tzinfo is not None:
        raise InvalidSnoozeTime("Enter a date and a time, like 2026-12-07 09:30.")
    zone = zone_for(zone_name)
    until = wall_clock(naive.date(), naive.time(), zone)
    check_until(until, now=now)
    return until


def check_until(until: datetime, *, now: datetime) -> None:
    if until.tzinfo is None:
        raise InvalidSnoozeTime("The snooze time needs a time zone.")
    if until < now + SOONEST:
        raise InvalidSnoozeTime("Pick a time in the future.")
    if until > now + LATEST:
        raise InvalidSnoozeTime("Pick a time within the next year.")


def picker_bounds(now: datetime, zone_name: str) -> tuple[str, str]:
    """The picker's `min` and `max` (datetime-local values on the agent's clock)."""
    zone = zone_for(zone_name)
    soonest = (now + SOONEST).astimezone(zone)
    latest = (now + LATEST).astimezone(zone)
    return f"{soonest:%Y-%m-%dT%H:%M}", f"{latest:%Y-%m-%dT%H:%M}"
