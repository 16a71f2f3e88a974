"""Postmark (with and without RawEmail), SendGrid raw mode, and an ESP configured by settings alone."""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from django.test import Client

from inbox.models import InboundEmail
from tests.inbox.payloads import (
    BASIC_AUTH,
    postmark_payload,
    sendgrid_post,
    simple_message,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_postmark_raw_email_is_stored_as_sent(client: Client, forwarding_address: str) -> None:
    raw = simple_message(to=forwarding_address, body="Grüße aus Köln")
    response = client.post(
        "/anymail/postmark/inbound/",
        data=postmark_payload(raw, recipient=forwarding_address, message_id="pm-1"),
        content_type="application/json",
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )
    assert response.status_code == 200
    row = InboundEmail.objects.get()
    assert bytes(row.raw) == raw
    assert (row.esp, row.esp_event_id) == ("postmark", "pm-1")
    assert row.envelope_sender == "bounce@sender.example"
    assert row.status == InboundEmail.Status.ACCEPTED


def test_postmark_without_raw_email_is_rebuilt_into_mime(
    client: Client, forwarding_address: str
) -> None:
    response = client.post(
        "/anymail/postmark/inbound/",
        data=postmark_payload(None, recipient=forwarding_address),
        content_type="application/json",
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )
    assert response.status_code == 200
    row = InboundEmail.objects.get()
    message = BytesParser(policy=policy.default).parsebytes(bytes(row.raw))
    assert message["Subject"] == "Postmark subject"
    assert (
        message.get_body(("plain",)).get_content().strip() == "Text from Postmark's parsed fields"
    )
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "note.txt"
    assert attachment.get_content() == "attached words"
    assert row.envelope_recipient == forwarding_address
    assert row.status == InboundEmail.Status.ACCEPTED


def test_postmark_retry_with_the_same_message_id_stores_one_row(
    client: Client, forwarding_address: str
) -> None:
    payload = postmark_payload(None, recipient=forwarding_address, message_id="pm-retry")
    for _ in range(2):
        client.post(
            "/anymail/postmark/inbound/",
            data=payload,
            content_type="application/json",
            HTTP_AUTHORIZATION=BASIC_AUTH,
        )
    assert InboundEmail.objects.count() == 1


def test_postmark_without_basic_auth_is_refused(client: Client, forwarding_address: str) -> None:
    response = client.post(
        "/anymail/postmark/inbound/",
        data=postmark_payload(simple_message(), recipient=forwarding_address),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not InboundEmail.objects.exists()


def test_sendgrid_raw_mode_is_stored_as_sent(client: Client, forwarding_address: str) -> None:
    raw = simple_message(to=forwarding_address)
    body, content_type = sendgrid_post(raw, forwarding_address)
    response = client.post(
        "/anymail/sendgrid/inbound/",
        data=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )
    assert response.status_code == 200
    row = InboundEmail.objects.get()
    assert bytes(row.raw) == raw
    assert row.esp == "sendgrid"
    assert row.envelope_recipient == forwarding_address
    assert row.status == InboundEmail.Status.ACCEPTED


def test_unsigned_sendgrid_post_is_refused(client: Client, forwarding_address: str) -> None:
    body, content_type = sendgrid_post(simple_message(), forwarding_address)
    response = client.post("/anymail/sendgrid/inbound/", data=body, content_type=content_type)
    assert response.status_code == 400
    assert not InboundEmail.objects.exists()


def test_an_esp_supported_by_anymail_works_by_configuration_alone(
    client: Client, forwarding_address: str, shared_dir: Path, settings: object
) -> None:
    settings.ANYMAIL["BREVO_API_KEY"] = "configured-in-the-environment"  # type: ignore[attr-defined]
    item = json.loads(
        (
            shared_dir
            / "corpus/anymail/inbound-webhook-payloads"
            / "brevo--BrevoInboundTestCase.test_inbound_basics.raw_event.json"
        ).read_text()
    )
    item["Headers"]["Delivered-To"] = forwarding_address
    response = client.post(
        "/anymail/brevo/inbound/",
        data=json.dumps({"items": [item]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )
    assert response.status_code == 200
    row = InboundEmail.objects.get()
    assert row.esp == "brevo"
    assert row.envelope_recipient == forwarding_address
    assert BytesParser(policy=policy.default).parsebytes(bytes(row.raw))["Subject"] == (
        "Testing Brevo inbound"
    )
    assert row.status == InboundEmail.Status.ACCEPTED
