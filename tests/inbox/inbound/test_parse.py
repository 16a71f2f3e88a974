"""Parsing never raises on hostile input (docs/reliability.md, "Bad input")."""

from __future__ import annotations

from inbox.inbound.parse import MAX_SUBJECT, parse
from tests.inbox.inbound.conftest import fixture_bytes


def nested(depth: int) -> bytes:
    head = b"From: a@example.org\r\nSubject: deep\r\n"
    parts = []
    for level in range(depth):
        parts.append(
            f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'.encode()
        )
    return head + b"".join(parts) + b"Content-Type: text/plain\r\n\r\nbottom\r\n"


def test_deep_multipart_nesting_is_malformed_not_a_crash():
    for depth in (60, 1000):
        assert "nested" in parse(nested(depth)).malformed


def test_moderate_nesting_is_read():
    parsed = parse(nested(10))
    assert not parsed.malformed and parsed.text.strip() == "bottom"


def test_crlf_in_the_display_name_is_stripped():
    parsed = parse(fixture_bytes("crlf_display_name.eml"))
    assert parsed.from_email == "evil@evil.example"
    assert "\r" not in parsed.from_name and "\n" not in parsed.from_name


def test_several_from_addresses_are_all_kept():
    assert parse(fixture_bytes("multiple_from.eml")).from_addresses == (
        "ann@one.example",
        "bob@two.example",
    )


def test_ambiguous_address_syntax_does_not_yield_the_display_address():
    parsed = parse(fixture_bytes("ambiguous_address.eml"))
    assert parsed.from_email != "alice@trusted.example"


def test_unknown_charset_and_bad_base64_decode_with_replacement():
    parsed = parse(fixture_bytes("unknown_charset.eml"))
    assert not parsed.malformed
    assert "Hello" in parsed.text
    assert parsed.subject  # an undecodable encoded word is kept as written


def test_too_many_header_fields_is_malformed():
    raw = b"From: a@example.org\r\n" + b"X-Junk: 1\r\n" * 2000 + b"\r\nbody"
    assert "header fields" in parse(raw).malformed


def test_long_subject_is_truncated():
    raw = b"From: a@example.org\r\nSubject: " + b"x" * 5000 + b"\r\n\r\nbody"
    assert len(parse(raw).subject) == MAX_SUBJECT


def test_control_headers_are_stripped_before_anything_reads_them():
    parsed = parse(fixture_bytes("control_headers.eml"))
    assert not any(name.startswith("x-helpdesk-") for name in parsed.headers)


def test_binary_junk_and_a_byte_order_mark_are_malformed():
    assert parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4).malformed
    assert parse(b"\xef\xbb\xbfFrom: a@example.org\r\nSubject: x\r\n\r\nhi").malformed


def test_raw_8bit_headers_become_text():
    parsed = parse("From: Jos\u00e9 <jose@example.org>\r\nSubject: Ol\u00e1\r\n\r\nhi".encode())
    assert parsed.from_name == "José" and parsed.subject == "Olá"


def test_a_banner_line_before_the_headers_is_skipped():
    raw = (
        b"---- Original email message ----\r\n"
        b"From: Petra <petra@firma.example>\r\nSubject: Kontakt\r\n\r\nDobry den\r\n"
    )
    parsed = parse(raw)
    assert (parsed.malformed, parsed.from_email, parsed.subject) == (
        "",
        "petra@firma.example",
        "Kontakt",
    )
    assert parsed.text.strip() == "Dobry den"


def test_header_lines_unfolded_without_a_leading_space_are_read_as_continuations():
    raw = (
        b"Received: from relay.example ([192.0.2.1])\r\n"
        b"by mx.example with ESMTP\r\n"
        b"for helpdesk@example.com; Thu, 2 Aug 2018 16:58:16 +0200\r\n"
        b"From: Petra <petra@firma.example>\r\n"
        b"Subject: Kontakt\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Dobry den</p>\r\n"
    )
    parsed = parse(raw)
    assert (parsed.from_email, parsed.subject) == ("petra@firma.example", "Kontakt")
    assert "Dobry den" in parsed.html and not parsed.text
    assert parsed.header("received").endswith("+0200")


def test_a_body_line_that_merely_follows_headers_is_not_pulled_into_them():
    # A message whose headers end without a blank line keeps its body as body.
    raw = b"From: a@b.example\r\nSubject: Hi\r\nThis line has no colon and starts the body\r\n"
    parsed = parse(raw)
    assert parsed.from_email == "a@b.example"
    assert "starts the body" in parsed.text
