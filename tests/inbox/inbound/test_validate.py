"""Validation (inbox.inbound.validate) as tables: which refusal a mail meets given what the
pipeline knows, and the flags that change what happens to accepted mail. No database: the
deliveries that prove the pipeline passes these facts in are in test_pipeline."""

from __future__ import annotations

import pytest

from helpdesk.mail_ids import LOOP_HEADER
from inbox.inbound.parse import ParsedEmail, parse
from inbox.inbound.validate import (
    ValidationContext,
    blocked_rule,
    dmarc_aligned_pass,
    dmarc_failed,
    ids_quoted_by_bounce,
    is_auto_reply,
    is_bounce,
    validate,
)
from tests.inbox.inbound.conftest import fixture_bytes

RECIPIENT = "support-1@acme.inbox.localhost"
LOOP_VALUE = "helpdesk@inbox.localhost"
ESP_SPAM = {"spam_detected": True, "spam_score": 7.5, "verdict_source": "esp"}
ESP_DMARC_FAIL = {"dmarc_verdict": "fail", "verdict_source": "esp"}
RECEIVED = b"Received: from a by b; Mon, 2 Nov 2026 10:00:00 +0000\n"


def mail(raw: bytes | str) -> ParsedEmail:
    return parse(fixture_bytes(raw) if isinstance(raw, str) else raw)


def context(**fields: object) -> ValidationContext:
    """A connected channel's context with nothing against the mail, then `fields`."""
    defaults: dict[str, object] = {
        "size": 2_000,
        "max_size": 10_000,
        "max_message_bytes": 30 * 1024 * 1024,
        "envelope_recipient": RECIPIENT,
        "channel_status": "connected",
        "authserv_ids": frozenset({"mx.ours.example"}),
        "trusted_arc_sealers": frozenset({"google.com", "microsoft.com"}),
        "loop_header_value": LOOP_VALUE,
        "our_from_addresses": frozenset({"support@acme.example"}),
    }
    return ValidationContext(**(defaults | fields))  # type: ignore[arg-type]


def with_auth(results: str, extra: str = "") -> bytes:
    return f"Authentication-Results: {results}\n{extra}".encode() + fixture_bytes("plain.eml")


ARC_PASS = "mx.ours.example; spf=softfail; dkim=fail; arc=pass; dmarc=fail"


@pytest.mark.parametrize(
    ("raw", "fields", "senders", "code", "words"),
    [
        pytest.param("plain.eml", {}, (), None, "", id="ordinary-mail-is-taken"),
        # Size, form and address come first: nothing else can be said of such mail.
        pytest.param(
            "plain.eml", {"size": 10_001}, (), "too_large", "larger than the 30 MB we accept",
            id="over-the-cap",
        ),
        pytest.param(
            b"\xef\xbb\xbf\x00\x01binary junk", {}, (), "malformed", "could not be read",
            id="binary-junk",
        ),
        pytest.param(
            b"To: a@b.example\nSubject: Who?\n\nNo From.\n", {}, (), "malformed", "no sender",
            id="no-sender",
        ),
        pytest.param(
            "plain.eml",
            {"channel_status": None, "envelope_recipient": "nobody@inbox.localhost"},
            (), "unknown_recipient", "nobody@inbox.localhost",
            id="no-channel-has-the-envelope-recipient",
        ),
        pytest.param(
            "plain.eml", {"channel_status": "disconnected"}, (), "channel_disconnected", RECIPIENT,
            id="disconnected-channel",
        ),
        # A draft channel takes only what the admin connecting it is waiting for.
        pytest.param(
            "plain.eml", {"channel_status": "draft"}, (), "channel_draft", "not connected yet",
            id="draft-channel-ordinary-mail",
        ),
        pytest.param(
            "gmail_confirmation.eml",
            {"channel_status": "draft", "is_expected_in_draft": True},
            (), None, "",
            id="draft-channel-forwarding-confirmation",
        ),
        pytest.param(
            "gmail_confirmation.eml",
            {"channel_status": "draft", "is_expected_in_draft": True, "esp_verdicts": ESP_DMARC_FAIL},
            (), "auth_failed", "failed DMARC",
            id="draft-channel-forged-gmail-confirmation",
        ),
        pytest.param(
            f"{LOOP_HEADER}: {LOOP_VALUE}\nFrom: Support <support@acme.example>\n"
            "Subject: Test email\nMessage-ID: <hd.test.tok@x>\n\nIt works.\n".encode(),
            {"channel_status": "draft", "is_expected_in_draft": True, "is_test_email": True},
            (), None, "",
            id="returning-test-email-with-our-loop-header",
        ),
        # Blocked senders: the address, its domain or a parent domain, and a forward's writer.
        pytest.param(
            "plain.eml", {"blocked": frozenset({"carla@customer.example"})}, (),
            "blocked_sender", "carla@customer.example is on the blocked senders list",
            id="blocked-address",
        ),
        pytest.param(
            "display_name_spoof.eml", {"blocked": frozenset({"evil.example"})}, (),
            "blocked_sender", "(evil.example)",
            id="blocked-domain",
        ),
        pytest.param(
            "gmail_forward.eml", {"blocked": frozenset({"client.example"})},
            ("agent@acme.example", "olga@client.example"), "blocked_sender", "olga@client.example",
            id="blocked-writer-of-a-forward",
        ),
        pytest.param(
            "plain.eml",
            {"blocked": frozenset({"customer.example"}), "skip_checks": frozenset({"blocked_sender"})},
            (), None, "",
            id="blocked-but-processed-anyway",
        ),
        # Spam: only the ESP's own verdict counts, against the workspace's threshold.
        pytest.param(
            "plain.eml", {"esp_verdicts": ESP_SPAM}, (), "spam", "score 7.5, threshold 5",
            id="esp-spam-score-over-the-threshold",
        ),
        pytest.param(
            "plain.eml",
            {"esp_verdicts": ESP_SPAM | {"spam_detected": None}, "spam_threshold": 9.0},
            (), None, "",
            id="esp-spam-score-under-the-workspace-threshold",
        ),
        pytest.param(
            b"X-Mailgun-Sflag: No\nX-Spam-Status: No\n" + fixture_bytes("plain.eml"),
            {"esp_verdicts": {"spam_detected": False, "spam_score": 50.0, "verdict_source": ""}},
            (), None, "",
            id="spam-verdict-read-from-the-senders-headers",
        ),
        # Authentication: our receiving service's results, an aligned DKIM pass, a trusted seal.
        pytest.param(
            with_auth("mx.ours.example; spf=fail smtp.mailfrom=customer.example; dkim=none; dmarc=fail"),
            {}, (), "auth_failed", "carla@customer.example failed DMARC",
            id="dmarc-fail-from-our-authserv-id",
        ),
        pytest.param(
            with_auth("mx.ours.example; spf=fail; dkim=pass header.d=customer.example; dmarc=fail"),
            {}, (), None, "",
            id="dmarc-fail-with-an-aligned-dkim-pass",
        ),
        pytest.param(
            with_auth(ARC_PASS, "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=google.com; s=a; b=abc\n"),
            {}, (), None, "",
            id="dmarc-fail-after-a-trusted-arc-seal",
        ),
        pytest.param(
            with_auth(ARC_PASS, "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=sketchy.example; s=x; b=abc\n"),
            {}, (), "auth_failed", "",
            id="dmarc-fail-after-an-untrusted-arc-seal",
        ),
        pytest.param(
            "plain.eml", {"esp_verdicts": ESP_DMARC_FAIL}, (), "auth_failed", "",
            id="esp-dmarc-verdict-fail",
        ),
        pytest.param(
            "plain.eml",
            {"esp_verdicts": ESP_DMARC_FAIL, "skip_checks": frozenset({"auth_failed"})},
            (), None, "",
            id="dmarc-fail-processed-anyway",
        ),
        # Loops: our header, our signed Message-ID, too many hops.
        pytest.param(
            f"{LOOP_HEADER}: {LOOP_VALUE}\n".encode() + fixture_bytes("plain.eml"), {}, (),
            "loop", "it carries our loop header",
            id="our-loop-header",
        ),
        pytest.param(
            "plain.eml", {"message_id_is_ours": True}, (), "loop", "its Message-ID is one we sent",
            id="our-signed-message-id",
        ),
        pytest.param(
            RECEIVED * 31 + fixture_bytes("plain.eml"), {}, (), "loop", "it passed 31 mail servers",
            id="thirty-one-received-headers",
        ),
        pytest.param(
            RECEIVED * 30 + fixture_bytes("plain.eml"), {}, (), None, "",
            id="thirty-received-headers",
        ),
        pytest.param(
            "auto_reply.eml",
            {"our_from_addresses": frozenset({"carla@customer.example"})},
            (), "loop", "an automatic mail from our own address",
            id="auto-reply-from-our-own-address",
        ),
        pytest.param("control_headers.eml", {}, (), None, "", id="control-headers-are-dropped"),
    ],
)  # fmt: skip
def test_validate(raw, fields, senders, code, words):
    rejection = validate(mail(raw), context(**fields), senders)
    assert (rejection.code if rejection else None) == code
    if rejection is not None:
        assert words in rejection.sentence


def test_forged_authentication_results_below_ours_are_ignored():
    raw = (
        b"Authentication-Results: mx.ours.example; dmarc=fail\n"
        b"Authentication-Results: mx.ours.example; dkim=pass header.d=customer.example; dmarc=pass\n"
        b"Authentication-Results: evil.example; dmarc=pass\n"
    ) + fixture_bytes("plain.eml")
    assert dmarc_failed(parse(raw), context())


@pytest.mark.parametrize(
    ("sender", "blocked", "rule"),
    [
        ("Carla@Customer.example", {"carla@customer.example"}, "carla@customer.example"),
        ("x@mail.spammy.example", {"spammy.example"}, "spammy.example"),
        ("x@fine.example", {"spammy.example"}, ""),
        ("x@notspammy.example", {"spammy.example"}, ""),
    ],
)
def test_blocked_rule_matches_the_address_or_a_parent_domain(sender, blocked, rule):
    assert blocked_rule(sender, frozenset(blocked)) == rule


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "X-Auto-Response-Suppress: All",
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: auto_reply",
        "X-Autoreply: yes",
    ],
)
def test_auto_reply_headers_flag_the_message(header):
    assert is_auto_reply(parse(f"{header}\n".encode() + fixture_bytes("plain.eml")))


def test_auto_submitted_no_is_not_an_auto_reply():
    assert not is_auto_reply(parse(b"Auto-Submitted: no\n" + fixture_bytes("plain.eml")))


def test_dsn_and_failed_recipients_flag_a_bounce():
    assert is_bounce(parse(fixture_bytes("dsn.eml")))
    assert is_bounce(parse(b"X-Failed-Recipients: a@b.example\n" + fixture_bytes("plain.eml")))
    assert not is_bounce(parse(fixture_bytes("plain.eml")))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            fixture_bytes("dsn.eml").replace(b"OUR_MESSAGE_ID", b"<hd.t7.n.0123@acme.example>"),
            ("<support@acme.example>", "<hd.t7.n.0123@acme.example>"),
            id="quoted-in-the-returned-headers",
        ),
        pytest.param(
            b"In-Reply-To: <a@x.example>\nReferences: <b@x.example>\n" + fixture_bytes("dsn.eml"),
            ("<a@x.example>", "<b@x.example>", "<support@acme.example>"),
            id="in-reply-to-and-references-first",
        ),
        pytest.param(fixture_bytes("plain.eml"), (), id="nothing-quoted"),
    ],
)
def test_ids_quoted_by_bounce(raw, expected):
    assert ids_quoted_by_bounce(parse(raw)) == expected


OURS = frozenset({"mx.ours.example"})


def _from_acme(results: str, sender: str = "carol@acme.example") -> ParsedEmail:
    return parse(
        f"Authentication-Results: {results}\nFrom: Carol <{sender}>\nSubject: Fwd: x\n\nHi\n".encode()
    )


@pytest.mark.parametrize(
    ("results", "sender", "passed"),
    [
        ("mx.ours.example; dkim=pass header.d=acme.example; spf=fail", None, True),
        ("mx.ours.example; dkim=pass header.d=mail.acme.example", None, True),  # relaxed
        ("mx.ours.example; spf=pass; dmarc=pass header.from=acme.example", None, True),
        ("mx.ours.example; dkim=pass header.d=other.example; dmarc=none", None, False),
        ("mx.ours.example; dkim=fail header.d=acme.example; dmarc=fail", None, False),
        ("mx.ours.example; dmarc=pass header.from=other.example", None, False),
        ("mx.ours.example; spf=pass smtp.mailfrom=acme.example", None, False),  # SPF alone
        ("mx.theirs.example; dkim=pass header.d=acme.example; dmarc=pass", None, False),
        ("mx.ours.example; dkim=pass header.d=acme.example", "carol@acme.example.evil", False),
    ],
)
def test_dmarc_aligned_pass_needs_our_own_authentication_of_the_from_domain(
    results, sender, passed
):
    parsed = _from_acme(results, sender or "carol@acme.example")
    assert dmarc_aligned_pass(parsed, OURS) is passed


def test_dmarc_aligned_pass_ignores_authentication_results_a_sender_wrote_below_ours():
    raw = (
        b"Authentication-Results: mx.ours.example; dkim=none; dmarc=none\n"
        b"Authentication-Results: mx.ours.example; dkim=pass header.d=acme.example; dmarc=pass\n"
        b"From: Carol <carol@acme.example>\nSubject: x\n\nHi\n"
    )
    assert dmarc_aligned_pass(parse(raw), OURS) is False
