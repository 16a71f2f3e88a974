""" "The maximum email size is 30 MB, including attachments": the message is measured as the
article counts it, the decoded content of all its parts plus the header fields, at most
31,457,280 bytes exactly. The raw size at the webhook stays only a fast outer bound (base64
makes the MIME of a 30 MB message about 41 MB)."""

from __future__ import annotations

import base64
import logging

import pytest

from inbox.inbound.parse import ParsedEmail, parse
from inbox.inbound.validate import ValidationContext, validate
from inbox.models import InboundEmail, Message
from inbox.services.intake import inbound_email_receive, max_mime_bytes

MB = 1024 * 1024
CAP = 30 * MB
assert CAP == 31_457_280


def context(**fields: object) -> ValidationContext:
    defaults: dict[str, object] = {
        "size": 2_000,
        "max_size": int(CAP * 4 / 3 * 78 / 76) + MB,
        "max_message_bytes": CAP,
        "envelope_recipient": "support-1@acme.inbox.localhost",
        "channel_status": "connected",
    }
    return ValidationContext(**(defaults | fields))  # type: ignore[arg-type]


def parsed_of(decoded_size: int) -> ParsedEmail:
    return ParsedEmail(
        headers={"from": ["ann@example.org"]},
        from_email="ann@example.org",
        decoded_size=decoded_size,
    )


@pytest.mark.parametrize(
    ("decoded_size", "raw_size", "code"),
    [
        pytest.param(2_000, 2_500, None, id="small"),
        pytest.param(int(29.9 * MB), int(29.9 * MB * 1.37), None, id="29.9-MB-is-taken"),
        pytest.param(CAP, int(CAP * 1.37), None, id="exactly-30-MB-is-taken"),
        pytest.param(CAP + 1, int(CAP * 1.37), "too_large", id="one-byte-over-is-refused"),
        pytest.param(int(30.1 * MB), int(30.1 * MB * 1.37), "too_large", id="30.1-MB-is-refused"),
        # The outer bound: MIME beyond what 30 MB can encode to is refused without measuring.
        pytest.param(1_000, 50 * MB, "too_large", id="raw-over-the-outer-bound"),
    ],
)
def test_the_cap_is_on_the_decoded_message(decoded_size, raw_size, code):
    rejection = validate(parsed_of(decoded_size), context(size=raw_size))
    assert (rejection.code if rejection else None) == code
    if rejection:
        assert rejection.sentence == "The message is larger than the 30 MB we accept."


def test_the_cap_comes_from_the_context():
    assert validate(parsed_of(1_001), context(max_message_bytes=1_000)).code == "too_large"
    assert validate(parsed_of(1_000), context(max_message_bytes=1_000)) is None


def attachment_mail(size: int) -> bytes:
    """A message with one base64 attachment of `size` bytes, built as bytes in one go."""
    encoded = base64.encodebytes(bytes(size)).replace(b"\n", b"\r\n")
    return (
        b"From: Ann <ann@example.org>\r\nTo: support@acme.example\r\n"
        b"Subject: The big file\r\nMessage-ID: <big@example.org>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\nHere it is.\r\n"
        b"--b1\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="big.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"--b1--\r\n"
    )


def test_parse_measures_decoded_content_and_header_fields():
    raw = b"From: a@example.org\r\nSubject: x\r\n\r\nhello\r\n"
    # "From: a@example.org\r\n" (21) + "Subject: x\r\n" (12) + the body "hello\r\n" (7)
    assert parse(raw).decoded_size == 21 + 12 + 7
    big = parse(attachment_mail(100_000))
    headers = len(attachment_mail(0)) - len(b"\r\n\r\n--b1--\r\n")
    assert 100_000 < big.decoded_size < 100_000 + headers
    assert big.decoded_size < len(attachment_mail(100_000)) * 0.8  # no base64 overhead


def test_parse_counts_a_forwarded_message_inside_a_message():
    inner = b"From: b@example.org\r\nSubject: inner\r\n\r\n" + b"y" * 5_000 + b"\r\n"
    raw = (
        b"From: a@example.org\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
        b"see below\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"--b--\r\n"
    )
    assert 5_000 < parse(raw).decoded_size < len(raw)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("attachment_mb", "status"),
    [pytest.param(29.9, "accepted", id="29.9-MB"), pytest.param(30.1, "rejected", id="30.1-MB")],
)
def test_a_delivery_through_intake_is_measured_as_the_article_says(
    attachment_mb,
    status,
    channel,
    media_root,
    caplog,
    django_capture_on_commit_callbacks,
):
    raw = attachment_mail(int(attachment_mb * MB))
    assert len(raw) <= max_mime_bytes()  # both pass the webhook's outer bound
    with (
        caplog.at_level(logging.INFO, logger="inbox.inbound.pipeline"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        row = inbound_email_receive(
            raw=raw, esp="test", envelope_recipient=channel.forwarding_address.address
        )
    del raw
    row.refresh_from_db()
    assert row.status == status, row.reason_detail
    if status == "rejected":
        assert row.reason_code == "too_large"
        assert row.reason_detail == "The message is larger than the 30 MB we accept."
        assert f"inbound {row.pk} rejected: too_large" in caplog.text
        assert not Message.objects.exists()
    else:
        attachment = Message.objects.get(inbound=row).attachments.get()
        assert attachment.size == int(attachment_mb * MB)
    assert InboundEmail.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        base64.encodebytes(bytes(range(256)) * 40).replace(b"\n", b"\r\n"),
        b"aGVsbG8gd29ybGQ",  # padding missing
        b"aGVs bG8g\r\n!!d29y bGQ=\r\n",  # junk between the characters
        "aGVsbG8gd29ybGQ=é".encode(),  # 8-bit junk
        b"",
    ],
)
def test_base64_is_decoded_as_the_email_package_does(body):
    from email import message_from_bytes

    from inbox.inbound.parse import decoded_payload

    raw = b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    part = message_from_bytes(raw + body)
    assert decoded_payload(part) == part.get_payload(decode=True)
