"""Mail that breaks parsers is stored and answered 200; size limits on the inbound routes only."""

from __future__ import annotations

import base64
import json
import os

import pytest
from anymail.inbound import AnymailInboundMessage
from django.test import Client

from inbox.models import InboundEmail
from inbox.services.intake import max_mime_bytes
from tests.inbox.payloads import BASIC_AUTH, mailgun_mime_post, simple_message
from tests.inbox.webhooks.poison import POISON

pytestmark = pytest.mark.django_db(transaction=True)

# Poison mail is decided like any other: never a failed row, never an exception.
FINAL = {InboundEmail.Status.ACCEPTED, InboundEmail.Status.REJECTED}


def post_mailgun(client: Client, raw: bytes, recipient: str):
    body, content_type = mailgun_mime_post(raw, recipient=recipient)
    return client.post(
        "/anymail/mailgun/inbound_mime/",
        data=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )


@pytest.mark.parametrize("name", ["deep_mime_nesting", "crlf_in_display_name", "unknown_charset"])
def test_these_messages_make_anymail_itself_raise(name: str) -> None:
    # Why the webhook does not let anymail parse the MIME in the request (docs/reliability.md, "Mail
    # that breaks parsers").
    with pytest.raises((RecursionError, ValueError, LookupError)):
        message = AnymailInboundMessage.parse_raw_mime_bytes(POISON[name])
        _ = (message.from_email, message.text, message.html, message.as_bytes())


@pytest.mark.parametrize("name", sorted(POISON))
def test_a_message_that_breaks_parsers_is_stored_byte_for_byte_and_answered_200(
    client: Client, forwarding_address: str, name: str
) -> None:
    raw = POISON[name]
    assert post_mailgun(client, raw, forwarding_address).status_code == 200
    row = InboundEmail.objects.get()
    assert bytes(row.raw) == raw
    # Intake's promise: the pipeline ran on it and the row ended in a visible state, never stuck
    # in received. (Refusing it as malformed rather than failing is the pipeline's promise.)
    assert row.status in FINAL


@pytest.mark.parametrize("name", ["deep_mime_nesting", "crlf_in_display_name", "unknown_charset"])
def test_a_post_anymail_cannot_parse_is_still_stored(
    client: Client, forwarding_address: str, name: str
) -> None:
    # SparkPost goes through anymail's own parser (no raw-MIME shortcut): when it raises, the post
    # body itself is kept so that nothing is lost.
    event = {
        "msys": {
            "relay_message": {
                "rcpt_to": forwarding_address,
                "msg_from": "bounce@sender.example",
                "content": {
                    "email_rfc822": base64.b64encode(POISON[name]).decode(),
                    "email_rfc822_is_base64": True,
                },
            }
        }
    }
    response = client.post(
        "/anymail/sparkpost/inbound/",
        data=json.dumps([event]),
        content_type="application/json",
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )
    assert response.status_code == 200
    row = InboundEmail.objects.get()
    assert row.esp == "sparkpost"
    assert base64.b64encode(POISON[name]).decode() in bytes(row.raw).decode() or (
        POISON[name].split(b"\r\n")[0] in bytes(row.raw)
    )


def attachment_message(size: int) -> bytes:
    message = simple_message()
    parsed = AnymailInboundMessage.parse_raw_mime_bytes(message)
    parsed.add_attachment(
        os.urandom(size), maintype="application", subtype="octet-stream", filename="big.bin"
    )
    return parsed.as_bytes()


def post_postmark(client: Client, raw: bytes, recipient: str):
    payload = json.dumps(
        {"OriginalRecipient": recipient, "MessageID": os.urandom(8).hex(), "RawEmail": raw.decode()}
    )
    return client.post(
        "/anymail/postmark/inbound/",
        data=payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )


def test_a_3_mb_multipart_post_passes_the_inbound_route(
    client: Client, forwarding_address: str
) -> None:
    raw = attachment_message(3 * 1024 * 1024)
    body, content_type = mailgun_mime_post(raw, recipient=forwarding_address)
    assert len(body) > 2.5 * 1024 * 1024  # Django's default limit elsewhere
    response = client.post(
        "/anymail/mailgun/inbound_mime/",
        data=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )
    assert response.status_code == 200
    assert bytes(InboundEmail.objects.get().raw) == raw


def test_a_large_message_posted_twice_is_stored_once_byte_for_byte(
    client: Client, forwarding_address: str
) -> None:
    # On PostgreSQL a raw message over 1 MB is written as a binary parameter after its row
    # (helpdesk.db): the repeat must still meet the unique key, and the bytes must come back.
    raw = attachment_message(2 * 1024 * 1024)
    for _ in range(2):
        assert post_mailgun(client, raw, forwarding_address).status_code == 200
    row = InboundEmail.objects.get()
    assert (bytes(row.raw), row.size) == (raw, len(raw))


def test_a_30_mb_attachment_is_not_too_large(client: Client, forwarding_address: str) -> None:
    raw = attachment_message(30 * 1024 * 1024 - 64 * 1024)
    assert 40 * 1024 * 1024 < len(raw) <= max_mime_bytes()
    assert post_postmark(client, raw, forwarding_address).status_code == 200
    row = InboundEmail.objects.get()
    assert row.reason_code != "too_large"
    assert row.size == len(raw)


def test_a_message_over_the_cap_is_stored_rejected_too_large_and_answered_200(
    client: Client, forwarding_address: str
) -> None:
    raw = attachment_message(33 * 1024 * 1024)
    assert len(raw) > max_mime_bytes()
    assert post_postmark(client, raw, forwarding_address).status_code == 200
    row = InboundEmail.objects.get()
    assert (row.status, row.reason_code) == (InboundEmail.Status.REJECTED, "too_large")
    assert "30 MB" in row.reason_detail
    assert row.size == len(raw)


def test_a_body_beyond_any_esp_payload_is_refused_without_being_read(
    client: Client, settings: object
) -> None:
    settings.INBOUND_MAX_REQUEST_BYTES = 1024  # type: ignore[attr-defined]
    response = client.post(
        "/anymail/postmark/inbound/",
        data="x" * 2048,
        content_type="application/json",
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )
    assert response.status_code == 413
    assert not InboundEmail.objects.exists()


def test_other_routes_keep_djangos_request_size_limit(client: Client) -> None:
    response = client.post("/login/", data={"username": "x" * (3 * 1024 * 1024), "password": "x"})
    assert response.status_code == 400
