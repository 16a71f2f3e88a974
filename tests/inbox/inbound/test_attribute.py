"""Attribution: the contact is who really wrote the mail (pure stage, .eml fixtures)."""

from __future__ import annotations

import pytest

from inbox.inbound.attribute import ChannelRules, attribute, is_forward, is_reply, may_be_forward
from inbox.inbound.parse import parse
from tests.inbox.inbound.conftest import fixture_bytes

AGENTS = ChannelRules(trusted_forwarders=frozenset({"agent@acme.example"}))


@pytest.mark.parametrize(
    ("fixture", "sender", "via"),
    [
        ("gmail_forward.eml", "olga@client.example", "gmail_forward"),
        ("outlook_forward_de.eml", "hans@kunde.example", "outlook_forward"),
        ("outlook_forward_html_fr.eml", "julie@client.example", "outlook_forward"),
        ("apple_forward_quoted.eml", "wendy@widgets.example", "apple_forward"),
        ("thunderbird_forward.eml", "tom@tester.example", "thunderbird_forward"),
        ("rfc822_forward.eml", "rita@refund.example", "rfc822"),
    ],
)
def test_manual_forward_by_an_agent_is_attributed_to_the_original_sender(fixture, sender, via):
    result = attribute(parse(fixture_bytes(fixture)), AGENTS)
    assert (result.from_email, result.via) == (sender, via)
    assert result.forwarded_by == "agent@acme.example"


def test_forwarder_note_is_kept_and_the_forwarded_body_is_shown():
    result = attribute(parse(fixture_bytes("gmail_forward.eml")), AGENTS)
    assert result.forwarder_note == "Can you handle this one?"
    assert result.text is not None and result.text.strip() == "Why was I charged twice?"
    assert result.subject == "Invoice question"


def test_outlook_mailto_wins_over_display_text():
    raw = fixture_bytes("outlook_forward_de.eml").replace(
        b"Von: Hans Kunde [mailto:hans@kunde.example]",
        b"Von: shop@other.example [mailto:hans@kunde.example]",
    )
    assert attribute(parse(raw), AGENTS).from_email == "hans@kunde.example"


def test_forward_from_a_stranger_keeps_the_from_header():
    result = attribute(parse(fixture_bytes("stranger_fake_forward.eml")), AGENTS)
    assert (result.from_email, result.via) == ("mallory@evil.example", "from_header")


def test_attribute_to_forwarder_switches_body_parsing_off():
    rules = ChannelRules(attribute_to_forwarder=True, trusted_forwarders=AGENTS.trusted_forwarders)
    result = attribute(parse(fixture_bytes("gmail_forward.eml")), rules)
    assert (result.from_email, result.via) == ("agent@acme.example", "forwarder_setting")


def test_google_groups_mail_is_attributed_to_the_person_marked_via_group():
    result = attribute(parse(fixture_bytes("google_groups.eml")), ChannelRules())
    assert (result.from_email, result.via) == ("gina@people.example", "google_groups")
    assert result.forwarded_by == "sales@acme.example"
    assert any("via the group" in warning for warning in result.warnings)


def test_auto_forwarded_mail_keeps_the_original_from_and_records_the_forwarder():
    result = attribute(parse(fixture_bytes("auto_forwarded.eml")), ChannelRules())
    assert (result.from_email, result.via) == ("carla@customer.example", "auto_forward")
    assert result.forwarded_by == "team@acme.example"


def test_forwarding_headers_a_sender_writes_do_not_make_their_forward_trusted():
    raw = b"X-Forwarded-For: mallory@evil.example support@acme.example\n" + fixture_bytes(
        "stranger_fake_forward.eml"
    )
    assert attribute(parse(raw), ChannelRules()).from_email == "mallory@evil.example"


def test_known_forwarding_mailbox_is_trusted_for_manual_forwards():
    raw = fixture_bytes("gmail_forward.eml").replace(
        b"From: Agent Smith <agent@acme.example>", b"From: Team <team@acme.example>"
    )
    rules = ChannelRules(trusted_forwarders=frozenset({"team@acme.example"}))
    assert attribute(parse(raw), rules).from_email == "olga@client.example"


def test_display_name_containing_an_address_is_a_warning_not_the_sender():
    result = attribute(parse(fixture_bytes("display_name_spoof.eml")), ChannelRules())
    assert result.from_email == "x@evil.example"
    assert any("contains an address" in warning for warning in result.warnings)


def test_several_from_addresses_use_the_first_and_warn():
    result = attribute(parse(fixture_bytes("multiple_from.eml")), ChannelRules())
    assert result.from_email == "ann@one.example"
    assert any("several senders" in warning for warning in result.warnings)


def test_reply_quoting_an_original_message_block_is_not_a_forward():
    raw = b"""From: Agent Smith <agent@acme.example>
Subject: Re: Lieferung
Content-Type: text/plain

Thanks.

-----Original Message-----
From: Hans Kunde <hans@kunde.example>
Sent: Monday
To: agent@acme.example
Subject: Lieferung

Where is it?
"""
    assert attribute(parse(raw), AGENTS).from_email == "agent@acme.example"


def test_original_message_block_under_a_subject_without_prefix_is_a_forward():
    # Thunderbird and old Outlook forward inline with "-----Original Message-----" and may keep
    # the subject bare: no "Re:" means it is not a reply's quoted history.
    raw = b"""From: Agent Smith <agent@acme.example>
Subject: Lieferung
Content-Type: text/plain

Can someone take this?

-----Original Message-----
From: Hans Kunde <hans@kunde.example>
Sent: Monday
Subject: Lieferung

Where is it?
"""
    result = attribute(parse(raw), AGENTS)
    assert (result.from_email, result.via) == ("hans@kunde.example", "outlook_forward")
    assert result.forwarded_by == "agent@acme.example"


@pytest.mark.parametrize(
    "subject", ["转发\uff1a订单问题", "転送: ご注文", "Пересл: Заказ", "İLT: Sipariş"]
)
def test_forward_subject_prefixes_of_more_languages(subject):
    raw = (
        f"From: Agent Smith <agent@acme.example>\nSubject: {subject}\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "-----Original Message-----\nFrom: Hans Kunde <hans@kunde.example>\nSubject: x\n\nBody\n"
    ).encode()
    parsed = parse(raw)
    assert is_forward(parsed) and not is_reply(parsed)
    assert attribute(parsed, AGENTS).from_email == "hans@kunde.example"


@pytest.mark.parametrize("subject", ["回复\uff1a订单问题", "Ответ: Заказ", "RE: Re: Lieferung"])
def test_reply_subject_prefixes_keep_quoted_history_out_of_attribution(subject):
    raw = (
        f"From: Agent Smith <agent@acme.example>\nSubject: {subject}\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "Thanks\n\n-----Original Message-----\nFrom: Hans Kunde <hans@kunde.example>\n"
        "Subject: x\n\nBody\n"
    ).encode()
    assert attribute(parse(raw), AGENTS).from_email == "agent@acme.example"


@pytest.mark.parametrize(
    ("fixture", "may"),
    [
        ("plain.eml", False),
        ("reply.eml", False),
        ("gmail_forward.eml", True),  # a forward's subject and a separator
        ("outlook_forward_html_fr.eml", True),  # "TR:"
        ("rfc822_forward.eml", True),  # an attached message
        ("stranger_fake_forward.eml", True),  # believed or not is attribute's to decide
    ],
)
def test_only_mail_that_may_be_a_forward_needs_the_trusted_forwarders(fixture, may):
    assert may_be_forward(parse(fixture_bytes(fixture))) is may


def test_a_forwards_subject_alone_may_be_a_forward():
    assert may_be_forward(parse(b"From: a@b.example\nSubject: Fwd: Hello\n\nHi.\n"))


# --- Forwards found by their shape (inbox.inbound.forwarded), as attribution uses them --------


@pytest.mark.parametrize(
    ("fixture", "sender", "via", "rule", "subject"),
    [
        (
            "yahoo_forward_glued.eml",
            "olga@client.example",
            "yahoo_forward",
            "From label",
            "Order 1234 never came",
        ),
        (
            "outlook2019_wrote_forward.eml",
            "paul@payer.example",
            "quoted_forward",
            "'wrote:' line under a forward's subject",
            None,
        ),
        (
            "thunderbird_forward_html_only.eml",
            "lena@lamps.example",
            "thunderbird_forward",
            "From label",
            "Broken lamp",
        ),
        (
            "outlook_forward_fr_spaced.eml",
            "julien@devis.example",
            "outlook_forward",
            "From label",
            "Devis 2025",
        ),
    ],
)
def test_forwards_of_each_shape_name_their_sender_and_the_rule_that_decided(
    fixture, sender, via, rule, subject
):
    result = attribute(parse(fixture_bytes(fixture)), AGENTS)
    assert (result.from_email, result.via, result.rule) == (sender, via, rule)
    assert result.forwarded_by == "agent@acme.example" and result.subject == subject
    assert result.forwarder_note and result.text and sender not in result.text


def test_a_forward_with_unknown_labels_says_position_decided():
    raw = (
        b"From: Agent Smith <agent@acme.example>\nSubject: Fwd: Order\n"
        b"Content-Type: text/plain; charset=utf-8\n\nPlease look.\n\n"
        b"---------- Qwerty zxcv ---------\nBlorp: Olga <olga@client.example>\n"
        b"Snarf: Mon, 2 Nov 2026 at 09:00\nGlim: Order\nTrup: <agent@acme.example>\n\nHello\n"
    )
    result = attribute(parse(raw), AGENTS)
    assert (result.from_email, result.rule) == ("olga@client.example", "first line of the block")


def test_a_forward_naming_its_sender_without_an_address_stays_with_the_forwarder():
    result = attribute(parse(fixture_bytes("forward_name_without_address.eml")), AGENTS)
    assert (result.from_email, result.via) == ("agent@acme.example", "forward_without_address")
    assert "forwarded from John Doe, no address given" in result.warnings
    assert result.text is None  # the whole mail is shown as the forwarder sent it


def test_a_wrote_line_under_a_replys_subject_is_quoted_history():
    result = attribute(parse(fixture_bytes("reply_quoting_wrote.eml")), AGENTS)
    assert (result.from_email, result.via) == ("agent@acme.example", "from_header")


def test_a_wrote_line_under_a_forward_from_a_stranger_is_not_believed():
    raw = fixture_bytes("outlook2019_wrote_forward.eml").replace(
        b"agent@acme.example", b"mallory@evil.example"
    )
    assert attribute(parse(raw), AGENTS).from_email == "mallory@evil.example"


# --- Colleagues at the team's own domain, authenticated by our receiving service -------------

COLLEAGUE_FORWARD = fixture_bytes("gmail_forward.eml").replace(
    b"From: Agent Smith <agent@acme.example>", b"From: Carol Colleague <carol@acme.example>"
)


@pytest.mark.parametrize(
    ("domains", "authenticated", "sender"),
    [
        (frozenset({"acme.example"}), True, "olga@client.example"),
        (frozenset({"acme.example"}), False, "carol@acme.example"),  # not authenticated
        (frozenset({"other.example"}), True, "carol@acme.example"),  # not the team's domain
        (frozenset(), True, "carol@acme.example"),  # the team's domain is a shared provider
    ],
)
def test_a_colleagues_forward_is_believed_only_when_authenticated_at_the_teams_domain(
    domains, authenticated, sender
):
    rules = ChannelRules(colleague_domains=domains, sender_authenticated=authenticated)
    result = attribute(parse(COLLEAGUE_FORWARD), rules)
    assert result.from_email == sender
    assert result.forwarded_by == ("carol@acme.example" if sender != "carol@acme.example" else "")


@pytest.mark.parametrize(
    ("subject", "forward", "reply"),
    [
        ("Fwd: x", True, False),
        ("Re: Fwd: x", True, True),
        ("TR : Devis", True, False),
        ("WG: WG: Angebot", True, False),
        ("Doorst: offerte", True, False),
        ("SV: Tilbud", False, True),
        ("Order: 12", False, False),
    ],
)
def test_subject_prefixes_come_from_one_list(subject, forward, reply):
    parsed = parse(f"From: a@b.example\nSubject: {subject}\n\nHi\n".encode())
    assert (is_forward(parsed), is_reply(parsed)) == (forward, reply)
