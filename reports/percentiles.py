"""Medians and percentiles of durations, pure."""

from __future__ import annotations

from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks (PostgreSQL's percentile_cont): the
    median of 1, 2, 3, 4 is 2.5 and its 90th percentile 3.7. None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    below = int(rank)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 0.5)


def hours(seconds: float | None) -> float | None:
    """Seconds as hours, to two decimals (what the tables and the CSV show)."""
    return None if seconds is None else round(seconds / 3600, 2)
