from __future__ import annotations

import pytest

from channels_cfg.addresses import local_part_problem, normalize_local_part, suggest_local_part


@pytest.mark.parametrize(
    ("local_part", "problem_starts"),
    [
        ("acme-support", None),
        ("help.desk_2", None),
        ("abc", None),
        ("ab", "Use at least 3"),
        ("a" * 41, "Use at most 40"),
        ("-acme", "Use only"),
        ("acme-", "Use only"),
        ("ac me", "Use only"),
        ("acmé", "Use only"),
        ("acme+tag", "Use only"),
        ("ac..me", "Two dots"),
        ("postmaster", "“postmaster” is reserved"),
        ("abuse", "“abuse” is reserved"),
        ("no-reply", "“no-reply” is reserved"),
    ],
)
def test_local_part_rules(local_part: str, problem_starts: str | None) -> None:
    problem = local_part_problem(local_part)
    if problem_starts is None:
        assert problem is None
    else:
        assert problem is not None and problem.startswith(problem_starts)


def test_normalize_lowercases_and_strips() -> None:
    assert normalize_local_part("  Acme-Support ") == "acme-support"


def test_suggested_local_part_is_valid_and_names_the_company() -> None:
    suggestion = suggest_local_part("Acme & Sons, Inc.", suffix="7f3k")
    assert suggestion == "acme-sons-inc-support-7f3k"
    assert local_part_problem(suggestion) is None
    assert local_part_problem(suggest_local_part("")) is None
