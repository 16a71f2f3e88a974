"""Sanitized HTML (RELIABILITY.md rows 39, 40, 42)."""

from __future__ import annotations

import pytest

from inbox.inbound.sanitize import rewrite_cids, sanitize
from tests.inbox.pipeline.conftest import fixture_bytes

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


def test_cid_images_point_at_attachment_urls_and_unknown_cids_are_dropped():
    clean = sanitize('<img src="cid:logo@acme"><img src="cid:missing@x">')
    rewritten = rewrite_cids(clean, {"logo@acme": "/inbox/attachments/7/"})
    assert 'src="/inbox/attachments/7/"' in rewritten
    assert "cid:" not in rewritten
