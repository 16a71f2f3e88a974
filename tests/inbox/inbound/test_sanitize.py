"""Sanitized HTML (docs/reliability.md, "Hostile content")."""

from __future__ import annotations

import pytest

from inbox.inbound.sanitize import sanitize
from tests.inbox.inbound.conftest import fixture_bytes

HOSTILE = fixture_bytes("html_hostile.eml").decode().split("\n\n", 2)[2].split("--RR")[0]


@pytest.mark.parametrize(
    "forbidden",
    [
        "<script", "alert(", "onload", "onerror", "onbegin", "javascript:", "data:", "<form",
        "<input", "<iframe", "<object", "<meta", "<base", "<style", "url(", "position",
        "z-index", "<svg", "<animate",
    ],
)  # fmt: skip
def test_dangerous_html_is_removed(forbidden):
    assert forbidden not in sanitize(HOSTILE).lower()


def test_safe_markup_and_allowed_css_survive():
    clean = sanitize(HOSTILE)
    assert '<p style="color:green">ok</p>' in clean
    assert 'href="https://safe.example/"' in clean


def test_cid_image_references_are_kept_for_the_renderer():
    clean = sanitize('<img src="cid:logo@acme" alt="logo">')
    assert 'src="cid:logo@acme"' in clean
