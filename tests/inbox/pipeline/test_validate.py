"""Validation: each refusal is stored on the ledger row with its reason code and a sentence."""

from __future__ import annotations

import pytest

from channels_cfg.models import EmailChannel
from helpdesk.mail_ids import LOOP_HEADER, loop_header_value, make_outbound_message_id
from inbox.inbound.parse import parse
from inbox.inbound.validate import ValidationContext, dmarc_failed, is_auto_reply, is_bounce
from inbox.models import Message
from tests.factories import BlockedSenderFactory
from tests.inbox.pipeline.conftest import fixture_bytes

pytestmark = pytest.mark.django_db


def test_mail_over_the_size_limit_is_rejected_as_too_large(deliver, settings):
    settings.INBOUND_MAX_MESSAGE_BYTES = 100
    # The cap is on the message; its MIME may be about 4/3 larger plus 1 MB of headroom.
    row = deliver(fixture_bytes("plain.eml") + b"x" * (1200 * 1024))
    assert (row.status, row.reason_code) == ("rejected", "too_large")
    assert "larger than" in row.reason_detail


def test_unknown_envelope_recipient_is_rejected_even_when_to_names_a_channel(deliver, channel):
    raw = fixture_bytes("plain.eml").replace(
        b"To: support@acme.example", f"To: {channel.forwarding_address.address}".encode()
    )
    row = deliver(raw, to="nobody@inbox.localhost")
    assert (row.status, row.reason_code) == ("rejected", "unknown_recipient")
    assert "nobody@inbox.localhost" in row.reason_detail


def test_envelope_recipient_decides_the_workspace_not_to(deliver, channel):
    from tests.factories import EmailChannelFactory, ForwardingAddressFactory

    other = EmailChannelFactory()
    ForwardingAddressFactory(channel=other)
    raw = fixture_bytes("plain.eml").replace(
        b"To: support@acme.example", f"To: {other.forwarding_address.address}".encode()
    )
    row = deliver(raw)
    assert row.status == "accepted" and row.workspace_id == channel.workspace_id
    assert Message.objects.get(inbound=row).workspace_id == channel.workspace_id


def test_disconnected_channel_rejects_mail(deliver, channel):
    EmailChannel.objects.filter(pk=channel.pk).update(status=EmailChannel.Status.DISCONNECTED)
    assert deliver("plain.eml").reason_code == "channel_disconnected"


def test_draft_channel_rejects_ordinary_mail_but_accepts_forwarding_confirmations(deliver, channel):
    EmailChannel.objects.filter(pk=channel.pk).update(status=EmailChannel.Status.DRAFT)
    assert deliver("plain.eml").reason_code == "channel_draft"
    assert deliver("gmail_confirmation.eml").status == "accepted"


def test_blocked_address_and_blocked_domain_are_rejected(deliver, channel):
    BlockedSenderFactory(workspace=channel.workspace, value="Carla@Customer.example")
    row = deliver("plain.eml")
    assert (row.status, row.reason_code) == ("rejected", "blocked_sender")
    BlockedSenderFactory(workspace=channel.workspace, value="evil.example")
    assert deliver("display_name_spoof.eml").reason_code == "blocked_sender"


def test_blocked_original_sender_of_a_forward_is_rejected(deliver, channel, agent):
    agent.user.email = "agent@acme.example"
    agent.user.save()
    BlockedSenderFactory(workspace=channel.workspace, value="client.example")
    assert deliver("gmail_forward.eml").reason_code == "blocked_sender"


def test_blocked_sender_in_another_workspace_does_not_apply(deliver):
    BlockedSenderFactory(value="customer.example")
    assert deliver("plain.eml").status == "accepted"


def test_esp_spam_verdict_above_the_workspace_threshold_is_rejected(deliver, channel):
    verdicts = {"spam_detected": True, "spam_score": 7.5, "verdict_source": "esp"}
    row = deliver("plain.eml", esp_verdicts=verdicts)
    assert (row.status, row.reason_code) == ("rejected", "spam")
    assert "7.5" in row.reason_detail


def test_spam_score_below_the_threshold_is_accepted(deliver, channel):
    channel.workspace.spam_threshold = 9
    channel.workspace.save()
    verdicts = {"spam_detected": None, "spam_score": 7.5, "verdict_source": "esp"}
    assert deliver("plain.eml", esp_verdicts=verdicts).status == "accepted"


def test_spam_verdict_read_from_sender_headers_is_not_trusted(deliver):
    verdicts = {"spam_detected": False, "spam_score": 50.0, "verdict_source": ""}
    raw = b"X-Mailgun-Sflag: No\nX-Spam-Status: No\n" + fixture_bytes("plain.eml")
    assert deliver(raw, esp_verdicts=verdicts).status == "accepted"


def _auth(results: str, extra: str = "") -> bytes:
    return f"Authentication-Results: {results}\n{extra}".encode() + fixture_bytes("plain.eml")


def test_dmarc_fail_reported_by_our_authserv_id_is_rejected(deliver, settings):
    settings.INBOUND_AUTHSERV_IDS = ["mx.ours.example"]
    raw = _auth("mx.ours.example; spf=fail smtp.mailfrom=customer.example; dkim=none; dmarc=fail")
    row = deliver(raw)
    assert (row.status, row.reason_code) == ("rejected", "auth_failed")


def test_dmarc_fail_with_an_aligned_dkim_pass_is_accepted(deliver, settings):
    settings.INBOUND_AUTHSERV_IDS = ["mx.ours.example"]
    raw = _auth(
        "mx.ours.example; spf=fail; dkim=pass header.d=customer.example; dmarc=fail",
    )
    assert deliver(raw).status == "accepted"


def test_dmarc_fail_after_forwarding_with_a_trusted_arc_seal_is_accepted(deliver, settings):
    settings.INBOUND_AUTHSERV_IDS = ["mx.ours.example"]
    raw = _auth(
        "mx.ours.example; spf=softfail; dkim=fail; arc=pass; dmarc=fail",
        "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=google.com; s=arc-20160816; b=abc\n",
    )
    assert deliver(raw).status == "accepted"
    raw = _auth(
        "mx.ours.example; spf=softfail; dkim=fail; arc=pass; dmarc=fail",
        "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=sketchy.example; s=x; b=abc\n",
    )
    assert deliver(raw).reason_code == "auth_failed"


def test_forged_authentication_results_below_ours_are_ignored(settings):
    settings.INBOUND_AUTHSERV_IDS = ["mx.ours.example"]
    raw = (
        b"Authentication-Results: mx.ours.example; dmarc=fail\n"
        b"Authentication-Results: mx.ours.example; dkim=pass header.d=customer.example; dmarc=pass\n"
        b"Authentication-Results: evil.example; dmarc=pass\n"
    ) + fixture_bytes("plain.eml")
    context = ValidationContext(
        size=1, max_size=10, envelope_recipient="x", channel_status="connected",
        authserv_ids=frozenset({"mx.ours.example"}),
    )  # fmt: skip
    assert dmarc_failed(parse(raw), context)


def test_esp_dmarc_verdict_fail_is_rejected(deliver):
    verdicts = {"dmarc_verdict": "fail", "verdict_source": "esp"}
    assert deliver("plain.eml", esp_verdicts=verdicts).reason_code == "auth_failed"


def test_our_loop_header_is_rejected_as_loop(deliver):
    raw = f"{LOOP_HEADER}: {loop_header_value()}\n".encode() + fixture_bytes("plain.eml")
    row = deliver(raw)
    assert (row.status, row.reason_code) == ("rejected", "loop")


def test_our_own_signed_message_id_coming_back_is_a_loop(deliver):
    ours = make_outbound_message_id(thread_id=42, domain="acme.inbox.localhost")
    raw = fixture_bytes("plain.eml").replace(b"<plain-1@customer.example>", ours.encode())
    assert deliver(raw).reason_code == "loop"


def test_more_than_thirty_received_headers_is_a_loop(deliver):
    raw = b"Received: from a by b; Mon, 2 Nov 2026 10:00:00 +0000\n" * 31 + fixture_bytes(
        "plain.eml"
    )
    assert deliver(raw).reason_code == "loop"
    raw = b"Received: from a by b; Mon, 2 Nov 2026 10:00:00 +0000\n" * 30 + fixture_bytes(
        "plain.eml"
    ).replace(b"plain-1@", b"plain-30@")
    assert deliver(raw).status == "accepted"


def test_control_headers_cannot_trigger_a_loop_or_assignment(deliver):
    row = deliver("control_headers.eml")
    assert row.status == "accepted"
    assert Message.objects.get(inbound=row).thread.assignee_id is None


def test_malformed_mail_is_stored_and_rejected_with_a_reason(deliver):
    raw = b"\xef\xbb\xbf\x00\x01binary junk"
    row = deliver(raw)
    assert (row.status, row.reason_code) == ("rejected", "malformed")
    assert bytes(row.raw) == raw


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


def test_dmarc_failure_processed_anyway_is_marked_unverified(deliver, channel):
    from inbox.inbound.pipeline import process_inbound_email
    from inbox.models import InboundEmail

    row = deliver("plain.eml", esp_verdicts={"dmarc_verdict": "fail", "verdict_source": "esp"})
    assert row.reason_code == "auth_failed"
    InboundEmail.objects.filter(pk=row.pk).update(status="received", skip_checks=["auth_failed"])
    process_inbound_email(row.pk)
    message = Message.objects.get(inbound_id=row.pk)
    assert any("not verified" in warning for warning in message.sender_warnings)


def test_forged_gmail_confirmation_failing_dmarc_is_rejected(deliver, channel):
    from channels_cfg.models import ForwardingConfirmation

    EmailChannel.objects.filter(pk=channel.pk).update(status=EmailChannel.Status.DRAFT)
    verdicts = {"dmarc_verdict": "fail", "verdict_source": "esp"}
    row = deliver("gmail_confirmation.eml", esp_verdicts=verdicts)
    assert row.reason_code == "auth_failed"
    assert not ForwardingConfirmation.objects.exists()
