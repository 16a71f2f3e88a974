"""The reports' time axis, pure: which days a filter covers, where they begin and end in the
workspace's time zone, and how they are grouped (days, or weeks for long ranges)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PRESETS = (7, 30, 90)
DEFAULT_PRESET = 30
# Longer ranges are drawn by week: 92 bars are still readable, 365 are not.
MAX_DAILY_DAYS = 92
MAX_DAYS = 731


@dataclass(frozen=True)
class Period:
    first: date  # the first day, inclusive
    last: date  # the last day, inclusive
    zone: ZoneInfo
    preset: str  # "7", "30", "90" or "custom"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def by_week(self) -> bool:
        return self.days > MAX_DAILY_DAYS

    @property
    def starts_at(self) -> datetime:
        return day_start(self.first, self.zone)

    @property
    def ends_at(self) -> datetime:
        """The first instant after the range (midnight after the last day)."""
        return day_start(self.last + timedelta(days=1), self.zone)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight, in UTC (aware datetimes of one zone subtract as wall-clock times)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def period_from(
    *, preset: str, first: str, last: str, today: date, zone: ZoneInfo
) -> tuple[Period, str]:
    """The period a filter asks for, and a sentence when it had to fall back to the default."""
    if preset == "custom":
        try:
            start, end = date.fromisoformat(first), date.fromisoformat(last)
        except ValueError:
            return _preset(DEFAULT_PRESET, today, zone), "Enter both dates as YYYY-MM-DD."
        if end < start:
            start, end = end, start
        if (end - start).days + 1 > MAX_DAYS:
            start = end - timedelta(days=MAX_DAYS - 1)
            return Period(start, end, zone, "custom"), "Ranges are at most two years long."
        return Period(start, end, zone, "custom"), ""
    days = int(preset) if preset.isdigit() and int(preset) in PRESETS else DEFAULT_PRESET
    return _preset(days, today, zone), ""


def _preset(days: int, today: date, zone: ZoneInfo) -> Period:
    return Period(today - timedelta(days=days - 1), today, zone, str(days))


def bucket_of(day: date, *, by_week: bool) -> date:
    """The bucket a day falls in: itself, or the Monday of its week."""
    return day - timedelta(days=day.weekday()) if by_week else day


def buckets(period: Period) -> list[date]:
    """Every bucket of the period in order, empty ones included."""
    first = bucket_of(period.first, by_week=period.by_week)
    step = timedelta(days=7 if period.by_week else 1)
    result, current = [], first
    while current <= period.last:
        result.append(current)
        current += step
    return result


def local_bucket(moment: datetime, period: Period) -> date:
    """The bucket of an instant, counted in the workspace's time zone."""
    return bucket_of(moment.astimezone(period.zone).date(), by_week=period.by_week)


def bucket_label(bucket: date, *, by_week: bool) -> str:
    return f"week of {bucket:%Y-%m-%d}" if by_week else f"{bucket:%Y-%m-%d}"
