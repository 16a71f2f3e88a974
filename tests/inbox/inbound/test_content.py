"""What a stored message shows, its digest and its thread's snippet (pure, .eml fixtures)."""

from __future__ import annotations

import pytest

from inbox.inbound.attribute import Attribution, ChannelRules, attribute
from inbox.inbound.content import Content, content_digest, content_for, snippet
from inbox.inbound.parse import parse
from tests.inbox.inbound.conftest import fixture_bytes

AGENTS = ChannelRules(trusted_forwarders=frozenset({"agent@acme.example"}))


def test_a_forward_shows_the_forwarded_message_under_its_original_subject():
    parsed = parse(fixture_bytes("gmail_forward.eml"))
    content = content_for(parsed, attribute(parsed, AGENTS))
    assert content.subject == "Invoice question"
    assert content.text.strip() == "Why was I charged twice?"
    assert content.digest == content_digest(parsed)


def test_without_a_forward_the_mail_itself_is_shown():
    parsed = parse(fixture_bytes("plain.eml"))
    content = content_for(parsed, Attribution(parsed.from_email, parsed.from_name, "from_header"))
    assert (content.subject, content.text, content.html) == (
        "Printer is on fire",
        parsed.text,
        parsed.html,
    )


@pytest.mark.parametrize(
    ("other", "same"),
    [
        (fixture_bytes("plain.eml"), True),  # a retry: the same bytes
        (fixture_bytes("plain.eml").replace(b"Date: Mon,", b"Date: Tue,"), True),
        (fixture_bytes("plain.eml").replace(b"on fire", b"smoking"), False),
        (fixture_bytes("plain.eml").replace(b"Printer is", b"Printer was"), False),
    ],
)
def test_the_digest_tells_a_retry_from_other_content_under_the_same_message_id(other, same):
    first = content_digest(parse(fixture_bytes("plain.eml")))
    assert (content_digest(parse(other)) == first) is same


def test_the_digest_covers_attachments():
    raw = fixture_bytes("html_hostile.eml")
    other = raw.replace(b"JVBERi0xLjQK", b"JVBERi0xLjUK")  # %PDF-1.4 -> %PDF-1.5
    assert content_digest(parse(raw)) != content_digest(parse(other))


@pytest.mark.parametrize(
    ("text", "html", "expected"),
    [
        ("Hello,\n\n  my printer\tis on fire.", "<p>ignored</p>", "Hello, my printer is on fire."),
        ("", "<p>Voir ci-dessous.</p><p>Ma commande</p>", "Voir ci-dessous. Ma commande"),
        ("x" * 500, "", "x" * 200),
        ("", "", ""),
    ],
)
def test_the_snippet_is_the_start_of_the_text_on_one_line(text, html, expected):
    assert snippet(Content("Subject", text, html, "digest")) == expected


def test_html_only_mail_gets_a_text_snippet():
    parsed = parse(fixture_bytes("outlook_forward_html_fr.eml"))
    content = content_for(parsed, Attribution(parsed.from_email, parsed.from_name, "from_header"))
    assert snippet(content).startswith("Voir ci-dessous.")
