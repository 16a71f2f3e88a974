"""The time axis and the percentile definition, pure."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from reports.percentiles import hours, percentile
from reports.periods import Period, buckets, local_bucket, period_from

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 3, 30)


@pytest.mark.parametrize(
    ("preset", "first", "last", "expected", "note"),
    [
        ("7", "", "", (date(2026, 3, 24), TODAY, "7"), ""),
        ("90", "", "", (date(2025, 12, 31), TODAY, "90"), ""),
        ("", "", "", (date(2026, 3, 1), TODAY, "30"), ""),
        ("365", "", "", (date(2026, 3, 1), TODAY, "30"), ""),
        ("custom", "2026-01-05", "2026-01-01", (date(2026, 1, 1), date(2026, 1, 5), "custom"), ""),
        (
            "custom",
            "yesterday",
            "",
            (date(2026, 3, 1), TODAY, "30"),
            "Enter both dates as YYYY-MM-DD.",
        ),
        (
            "custom",
            "2020-01-01",
            "2026-01-01",
            (date(2024, 1, 2), date(2026, 1, 1), "custom"),
            "Ranges are at most two years long.",
        ),
    ],
)
def test_period_from_a_filter(preset, first, last, expected, note) -> None:
    period, message = period_from(preset=preset, first=first, last=last, today=TODAY, zone=BERLIN)
    assert (period.first, period.last, period.preset) == expected
    assert message == note


def test_the_dst_day_has_23_hours_and_buckets_follow_local_midnight() -> None:
    period = Period(date(2026, 3, 29), date(2026, 3, 29), BERLIN, "custom")
    assert (period.ends_at - period.starts_at).total_seconds() == 23 * 3600
    assert period.starts_at.astimezone(UTC) == datetime(2026, 3, 28, 23, tzinfo=UTC)
    late = datetime(2026, 3, 29, 21, 59, tzinfo=UTC)  # 23:59 CEST
    assert local_bucket(late, period) == date(2026, 3, 29)


def test_long_ranges_are_grouped_by_week_from_monday() -> None:
    period = Period(date(2026, 1, 1), date(2026, 4, 30), BERLIN, "custom")
    assert period.by_week
    weeks = buckets(period)
    assert weeks[0] == date(2025, 12, 29) and weeks[1] == date(2026, 1, 5)
    assert weeks[-1] == date(2026, 4, 27)
    assert local_bucket(datetime(2026, 1, 7, 12, tzinfo=UTC), period) == date(2026, 1, 5)


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 0.5, None),
        ([5.0], 0.9, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([4.0, 1.0, 3.0, 2.0], 0.9, 3.7),
        ([2.0, 4.0, 32.0], 0.9, 26.4),
        ([float(n) for n in range(1, 11)], 0.9, 9.1),
    ],
)
def test_percentiles_interpolate_between_ranks(values, fraction, expected) -> None:
    result = percentile(values, fraction)
    assert result == (None if expected is None else pytest.approx(expected))


def test_hours_are_rounded_to_two_decimals() -> None:
    assert (hours(None), hours(5400), hours(100)) == (None, 1.5, 0.03)
