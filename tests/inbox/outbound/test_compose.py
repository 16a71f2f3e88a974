"""Composing a reply, database-free: tables over the pure functions of inbox/outbound/compose.py.

No test here asks for the database, so any query would fail the test (pytest-django blocks it).
"""

from __future__ import annotations

from dataclasses import replace
from email.utils import parseaddr
from typing import Any

import pytest
from django.core.mail import EmailMultiAlternatives

from helpdesk.mail_ids import LOOP_HEADER
from helpdesk.refusals import Refused
from inbox.outbound.compose import (
    MAX_CC,
    AttachmentFile,
    Reply,
    ReplyBody,
    ReplyRefused,
    ThreadMail,
    build_email,
    cc_addresses,
    compose_reply,
    from_header,
    reply_body,
    reply_cc_default,
    reply_subject,
    sanitize_composer_html,
    text_to_html,
    threading_headers,
)

CONTACT = "jane@customer.example"


def test_a_refused_reply_is_an_expected_refusal() -> None:
    assert issubclass(ReplyRefused, Refused)
    assert str(ReplyRefused("Write a reply before sending.")) == "Write a reply before sending."


@pytest.mark.parametrize(
    ("composer_html", "kept"),
    [
        ('<p onclick="x()">Hi <b>there</b><script>bad()</script></p>', "<p>Hi <b>there</b></p>"),
        ('<p style="color:red" class="c">s</p>', "<p>s</p>"),
        ("<style>p{color:red}</style><p>x</p>", "<p>x</p>"),
        ("<img src=x onerror=alert(1)>", ""),
        ("<iframe src=https://x.example></iframe>ok", "ok"),
        ("<h1>Title</h1>", "Title"),
        (
            "<blockquote>q</blockquote><ul><li>a</li></ul>",
            "<blockquote>q</blockquote><ul><li>a</li></ul>",
        ),
        (
            "<i>i</i><em>e</em><u>u</u><strong>s</strong><br>",
            "<i>i</i><em>e</em><u>u</u><strong>s</strong><br>",
        ),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="data:text/html,x">d</a>', '<a rel="noopener noreferrer">d</a>'),
        (
            '<a href="https://x.example" target="_blank">x</a>',
            '<a href="https://x.example" rel="noopener noreferrer">x</a>',
        ),
        (
            '<a href="mailto:a@x.example">m</a>',
            '<a href="mailto:a@x.example" rel="noopener noreferrer">m</a>',
        ),
        ("  <p>x</p>  ", "<p>x</p>"),
        ("", ""),
    ],
)
def test_composer_html_keeps_simple_formatting_and_safe_links_only(
    composer_html: str, kept: str
) -> None:
    assert sanitize_composer_html(composer_html) == kept


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Hello", "<p>Hello</p>"),
        ("a\nb", "<p>a<br>b</p>"),
        ("a\n\nb", "<p>a</p><p>b</p>"),
        ("a\n \n\nb", "<p>a</p><p>b</p>"),
        ("\n\nx\n\n", "<p>x</p>"),
        ("Tom & Jerry <script>", "<p>Tom &amp; Jerry &lt;script&gt;</p>"),
        ("   ", ""),
    ],
)
def test_plain_text_becomes_escaped_paragraphs(text: str, html: str) -> None:
    assert text_to_html(text) == html


@pytest.mark.parametrize(
    ("body_html", "body_text", "expected"),
    [
        ("", "Have you tried water?", ReplyBody("<p>Have you tried water?</p>", "Have you tried water?")),
        ("", "Line one\nline two\n\nNext", ReplyBody("<p>Line one<br>line two</p><p>Next</p>", "Line one\nline two\n\nNext")),
        ("<p>Hi <b>there</b></p><p>Bye</p>", "ignored", ReplyBody("<p>Hi <b>there</b></p><p>Bye</p>", "Hi there\n\nBye")),
        ("<div>a</div><div>b &amp; c</div>", "", ReplyBody("<div>a</div><div>b &amp; c</div>", "a\n\nb & c")),
        ("   ", "From the text field", ReplyBody("<p>From the text field</p>", "From the text field")),
    ],
)  # fmt: skip
def test_the_reply_body_as_html_and_text(
    body_html: str, body_text: str, expected: ReplyBody
) -> None:
    assert reply_body(body_html=body_html, body_text=body_text) == expected


def test_the_signature_follows_the_reply_in_both_parts() -> None:
    body = reply_body(
        body_html="",
        body_text="On our way",
        signature_html="<p>Cheers, Grace</p><p>Grace Hopper, Acme support</p>",
    )
    assert body.html == (
        '<p>On our way</p><div class="signature">'
        "<p>Cheers, Grace</p><p>Grace Hopper, Acme support</p></div>"
    )
    assert body.text == "On our way\n\n-- \nCheers, Grace\n\nGrace Hopper, Acme support"


@pytest.mark.parametrize(
    ("body_html", "body_text"),
    [
        ("", ""),
        ("", "   \n\n  "),
        ("<p> </p><br>", "text is ignored when there is HTML"),
        ("<script>bad()</script>", ""),
        ("<img src=https://x.example/p.gif>", ""),
    ],
)
def test_a_reply_without_words_is_refused_even_with_a_signature(
    body_html: str, body_text: str
) -> None:
    with pytest.raises(ReplyRefused, match=r"^Write a reply before sending\.$"):
        reply_body(body_html=body_html, body_text=body_text, signature_html="<p>Cheers</p>")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Grace Hopper at Acme", "Grace Hopper at Acme"),
        ("Acme\r\nBcc: victim@example.com", "AcmeBcc: victim@example.com"),
        ("Acme\nX-Injected: 1", "AcmeX-Injected: 1"),
        ("Tab\there", "Tabhere"),
        ("Null\x00byte", "Nullbyte"),
        ("Delete\x7f", "Delete"),
        ("Zoë Åström, Støtte", "Zoë Åström, Støtte"),
        ("", ""),
    ],
)
def test_the_from_name_never_carries_control_characters(name: str, shown: str) -> None:
    assert from_header(name=name, address="support@acme.example") == (
        shown,
        "support@acme.example",
    )


@pytest.mark.parametrize(
    ("subject", "reply"),
    [
        ("Printer on fire", "Re: Printer on fire"),
        ("Re: Printer on fire", "Re: Printer on fire"),
        ("RE: shouting", "RE: shouting"),
        ("  re:no space", "  re:no space"),
        ("Fwd: a forward", "Re: Fwd: a forward"),
        ("Regarding the invoice", "Re: Regarding the invoice"),
        ("", "Re:"),
    ],
)
def test_the_reply_subject_starts_with_re_once(subject: str, reply: str) -> None:
    assert reply_subject(subject) == reply


@pytest.mark.parametrize(
    ("message_ids", "in_reply_to", "references"),
    [
        ([], "", ""),
        (["", "  "], "", ""),
        (["<a@x>"], "<a@x>", "<a@x>"),
        (["<a@x>", " <b@x> ", ""], "<b@x>", "<a@x> <b@x>"),
        (
            [f"<{n}@x>" for n in range(25)],
            "<24@x>",
            " ".join(f"<{n}@x>" for n in range(5, 25)),
        ),
    ],
)
def test_threading_headers_name_the_newest_mail_and_the_last_twenty(
    message_ids: list[str], in_reply_to: str, references: str
) -> None:
    assert threading_headers(message_ids) == (in_reply_to, references)


@pytest.mark.parametrize(
    ("cc", "addresses"),
    [
        ("", []),
        ("  ,; ", []),
        ("a@x.example", ["a@x.example"]),
        ("<a@x.example>", ["a@x.example"]),
        ('"Doe, Jane" <Jane@X.example>; b@y.example', ["jane@x.example", "b@y.example"]),
        ("a@x.example,\tb@y.example", ["a@x.example", "b@y.example"]),
        ("a@x.example; ; ,", ["a@x.example"]),
        ("a@x.example, A@X.example, a@x.example", ["a@x.example"]),
        (f"Jane <{CONTACT.upper()}>, a@x.example", ["a@x.example"]),
        (", ".join(f"p{n}@x.example" for n in range(MAX_CC)), [f"p{n}@x.example" for n in range(20)]),
        # The limit counts what is copied: the contact and repeats are dropped first.
        (", ".join([CONTACT, *(f"p{n}@x.example" for n in range(MAX_CC))]), [f"p{n}@x.example" for n in range(20)]),
        (", ".join(["p0@x.example"] * 30), ["p0@x.example"]),
    ],
)  # fmt: skip
def test_the_cc_field_as_addresses(cc: str, addresses: list[str]) -> None:
    assert cc_addresses(cc, contact_email=CONTACT) == addresses


@pytest.mark.parametrize(
    ("cc", "error"),
    [
        ("boss@customer.example, not an address", "“not an address” in Cc is not an email address."),
        ("a@x.example b@y.example", "“a@x.example b@y.example” in Cc is not an email address."),
        ("Name <>", "“Name <>” in Cc is not an email address."),
        ("x" * 100, f"“{'x' * 80}” in Cc is not an email address."),
        ("a@b.example\r\nBcc: spy@evil.example", "Cc may hold addresses only, separated by commas."),
        ("a@b.example\nBcc: spy@evil.example", "Cc may hold addresses only, separated by commas."),
        ("a@x.example\x00", "Cc may hold addresses only, separated by commas."),
        ("a@x.example\x7f", "Cc may hold addresses only, separated by commas."),
        (", ".join(f"p{n}@x.example" for n in range(MAX_CC + 1)), "Cc may hold at most 20 addresses."),
    ],
)  # fmt: skip
def test_a_bad_cc_is_refused_with_the_reason(cc: str, error: str) -> None:
    with pytest.raises(ReplyRefused) as refused:
        cc_addresses(cc, contact_email=CONTACT)
    assert str(refused.value) == error


def customer(cc: str, *, via: str = "from_header") -> ThreadMail:
    return ThreadMail(inbound=True, automatic=False, attributed_via=via, cc=cc)


def automatic(cc: str) -> ThreadMail:
    return ThreadMail(inbound=True, automatic=True, attributed_via="from_header", cc=cc)


def ours(cc: str) -> ThreadMail:
    return ThreadMail(inbound=False, automatic=False, attributed_via="", cc=cc)


OWN_ADDRESSES = {"Support@Acme.example", "team-1@acme.inbox.localhost", CONTACT}
OWN_DOMAINS = {"inbox.localhost", "free.example"}


@pytest.mark.parametrize(
    ("mails", "default"),
    [
        ([], ""),
        ([customer("")], ""),
        ([customer("Boss <Boss@Customer.example>, x@partner.example")], "boss@customer.example, x@partner.example"),
        ([customer("boss@customer.example", via="auto_forward")], "boss@customer.example"),
        # Our own addresses, the contact, and anything on our hosted domains never come back.
        ([customer(f"support@acme.example, {CONTACT.upper()}, a@team-2.inbox.localhost, b@free.example, boss@customer.example")], "boss@customer.example"),
        # Repeats and case go; entries that are no address at all too.
        ([customer("A@x.example, a@X.example, undisclosed-recipients:;")], "a@x.example"),
        ([customer(", ".join(f"p{n}@x.example" for n in range(25)))], ", ".join(f"p{n}@x.example" for n in range(MAX_CC))),
        # The latest customer mail counts; our replies and automatic mail are skipped over.
        ([customer("old@x.example"), customer("new@x.example")], "new@x.example"),
        ([customer("boss@customer.example"), ours("someone@x.example")], "boss@customer.example"),
        ([customer("boss@customer.example"), automatic("robot@x.example")], "boss@customer.example"),
        ([automatic("robot@x.example")], ""),
        # After a forward the Cc is the forwarder's, not the customer's.
        ([customer("boss@customer.example"), customer("colleague@acme.example", via="forwarded_block")], ""),
        ([customer("colleague@acme.example", via="manual_forward")], ""),
    ],
)  # fmt: skip
def test_the_composer_cc_starts_with_the_customers_latest_cc(
    mails: list[ThreadMail], default: str
) -> None:
    assert reply_cc_default(mails, own_addresses=OWN_ADDRESSES, own_domains=OWN_DOMAINS) == default


def compose(**changes: Any) -> Reply:
    facts: dict[str, Any] = {
        "body_html": "",
        "body_text": "Have you tried water?",
        "cc": "Boss <boss@customer.example>",
        "signature_html": "<p>Grace</p>",
        "from_name": "Grace Hopper at Acme",
        "from_email": "support@acme.example",
        "contact_email": CONTACT,
        "thread_subject": "Printer on fire",
        "thread_message_ids": ["<first@customer.example>", "<second@customer.example>"],
    }
    return compose_reply(**{**facts, **changes})


def test_a_composed_reply_is_everything_the_message_stores() -> None:
    assert compose() == Reply(
        from_name="Grace Hopper at Acme",
        from_email="support@acme.example",
        to=CONTACT,
        cc=("boss@customer.example",),
        subject="Re: Printer on fire",
        text="Have you tried water?\n\n-- \nGrace",
        html='<p>Have you tried water?</p><div class="signature"><p>Grace</p></div>',
        in_reply_to="<second@customer.example>",
        references="<first@customer.example> <second@customer.example>",
    )


def test_a_bad_cc_is_named_before_an_empty_body() -> None:
    with pytest.raises(ReplyRefused, match="in Cc is not an email address"):
        compose(body_text="", cc="nobody")


MAIL = Reply(
    from_name="Grace Hopper at Acme",
    from_email="support@acme.example",
    to=CONTACT,
    cc=("boss@customer.example", "x@partner.example"),
    subject="Re: Printer on fire",
    text="On our way",
    html="<p>On our way</p>",
    in_reply_to="<second@customer.example>",
    references="<first@customer.example> <second@customer.example>",
)


def build(reply: Reply, **changes: Any) -> EmailMultiAlternatives:
    facts: dict[str, Any] = {
        "message_id": "<hd.t1.7.abc@acme.example>",
        "loop_header": "helpdesk@inbox.localhost",
        "metadata": {"helpdesk_message": "7"},
    }
    return build_email(reply, **{**facts, **changes})


def test_the_built_mail_carries_our_from_threading_loop_marker_and_tracking_tag() -> None:
    email = build(MAIL)
    assert parseaddr(email.from_email) == ("Grace Hopper at Acme", "support@acme.example")
    assert email.to == [CONTACT]
    assert email.cc == ["boss@customer.example", "x@partner.example"]
    assert email.subject == "Re: Printer on fire"
    assert email.body == "On our way"
    assert email.alternatives[0][:2] == ("<p>On our way</p>", "text/html")
    assert email.extra_headers == {
        "Message-ID": "<hd.t1.7.abc@acme.example>",
        LOOP_HEADER: "helpdesk@inbox.localhost",
        "In-Reply-To": "<second@customer.example>",
        "References": "<first@customer.example> <second@customer.example>",
    }
    assert email.metadata == {"helpdesk_message": "7"}
    rendered = str(email.message())
    assert "Message-ID: <hd.t1.7.abc@acme.example>" in rendered
    assert "Auto-Submitted" not in rendered


@pytest.mark.parametrize(
    ("changes", "absent"),
    [
        ({"in_reply_to": "", "references": ""}, {"In-Reply-To", "References"}),
        ({"in_reply_to": "<a@x>", "references": ""}, {"References"}),
    ],
)
def test_empty_threading_headers_are_left_out(changes: dict[str, str], absent: set[str]) -> None:
    headers = build(replace(MAIL, **changes)).extra_headers
    assert absent.isdisjoint(headers)
    assert {"Message-ID", LOOP_HEADER} <= set(headers)


@pytest.mark.parametrize(
    ("from_name", "subject"),
    [
        ("Acme\r\nBcc: victim@example.com", "Re: hi\r\nBcc: victim@example.com"),
        ("Acme\nBcc: victim@example.com", "Re: hi\nBcc: victim@example.com"),
        ("Acme\x00\x7f", "Re: \x00hi"),
    ],
)
def test_control_characters_never_reach_the_headers(from_name: str, subject: str) -> None:
    email = build(replace(MAIL, from_name=from_name, subject=subject))
    assert not any(character in email.from_email for character in "\r\n\x00\x7f")
    assert not any(character in email.subject for character in "\r\n\x00\x7f")
    head = str(email.message()).split("\n\n")[0]
    assert not any(line.startswith("Bcc") for line in head.splitlines())


def test_a_reply_without_html_is_plain_text_and_attachments_are_attached() -> None:
    email = build(
        replace(MAIL, html=""),
        attachments=[AttachmentFile("a.pdf", b"%PDF-1.4", "application/pdf")],
    )
    assert email.alternatives == []
    assert [tuple(attachment) for attachment in email.attachments] == [
        ("a.pdf", b"%PDF-1.4", "application/pdf")
    ]
