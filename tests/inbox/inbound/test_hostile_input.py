"""Hostile mail through the whole pipeline: stored, and accepted or refused, never a crash
(docs/reliability.md, "Bad input": the inputs where anymail itself raises)."""

from __future__ import annotations

import pytest

from inbox.models import Message
from tests.inbox.inbound.test_parse import nested

pytestmark = pytest.mark.django_db


def test_deeply_nested_mime_is_refused_as_malformed(deliver):
    row = deliver(nested(1000))
    assert (row.status, row.reason_code) == ("rejected", "malformed")
    assert "nested" in row.reason_detail


def test_crlf_in_display_name_is_accepted_with_controls_stripped(deliver):
    row = deliver("crlf_display_name.eml")
    message = Message.objects.get(inbound=row)
    assert message.from_email == "evil@evil.example"
    assert "\n" not in message.from_name and "\r" not in message.from_name
    assert "\n" not in row.from_header


def test_several_from_addresses_are_accepted_and_flagged(deliver):
    message = Message.objects.get(inbound=deliver("multiple_from.eml"))
    assert message.from_email == "ann@one.example" and message.sender_warnings


def test_unknown_charset_is_accepted_with_replacement_characters(deliver):
    message = Message.objects.get(inbound=deliver("unknown_charset.eml"))
    assert "Hello" in message.text


def test_ambiguous_from_address_is_refused_not_misread(deliver):
    row = deliver("ambiguous_address.eml")
    assert not Message.objects.filter(from_email="alice@trusted.example").exists()
    assert (row.status, row.reason_code) == ("rejected", "malformed")


def test_huge_header_count_is_refused(deliver):
    row = deliver(b"From: a@example.org\r\n" + b"X-Junk: 1\r\n" * 5000 + b"\r\nbody")
    assert row.reason_code == "malformed"


def test_nul_bytes_and_raw_8bit_headers_are_stored(deliver):
    raw = b"From: J\xc3\xb6rg <j@example.org>\r\nSubject: a\x00b \xff\r\nMessage-ID: <n@x>\r\n\r\nhi\x00there"
    row = deliver(raw)
    message = Message.objects.get(inbound=row)
    assert message.from_name == "Jörg" and "\x00" not in message.text + message.subject


def test_stored_html_is_sanitized(deliver, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    html = Message.objects.get(inbound=deliver("html_hostile.eml")).html.lower()
    for forbidden in ("<script", "onload", "javascript:", "url(", "<iframe", "<form", "<base"):
        assert forbidden not in html
