"""ESP spam verdicts are kept only where that ESP adds them itself (docs/reliability.md, "Forged
spam verdicts")."""

from __future__ import annotations

import pytest
from django.test import Client

from inbox.models import InboundEmail
from tests.inbox.payloads import BASIC_AUTH, mailgun_mime_post, simple_message

pytestmark = pytest.mark.django_db(transaction=True)


def post_mailgun(client: Client, raw: bytes, recipient: str) -> dict:
    body, content_type = mailgun_mime_post(raw, recipient=recipient)
    client.post(
        "/anymail/mailgun/inbound_mime/",
        data=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )
    return InboundEmail.objects.get().esp_verdicts


def spam_flagged(headers: list[tuple[str, str]]) -> bytes:
    raw = simple_message()
    return b"".join(f"{name}: {value}\r\n".encode() for name, value in headers) + raw


def test_spam_headers_from_an_untrusted_esp_are_ignored(
    client: Client, forwarding_address: str
) -> None:
    raw = spam_flagged([("X-Mailgun-Sflag", "No"), ("X-Mailgun-Sscore", "-5.0")])
    verdicts = post_mailgun(client, raw, forwarding_address)
    assert verdicts == {
        "esp": "mailgun",
        "spam_detected": None,
        "spam_score": None,
        "verdict_source": "",
        "dmarc_verdict": "",
    }


def test_spam_headers_of_a_trusted_esp_are_kept(
    client: Client, forwarding_address: str, settings: object
) -> None:
    settings.INBOUND_SPAM_HEADERS_TRUSTED_ESPS = ["mailgun"]  # type: ignore[attr-defined]
    raw = spam_flagged([("X-Mailgun-Sflag", "Yes"), ("X-Mailgun-Sscore", "12.5")])
    verdicts = post_mailgun(client, raw, forwarding_address)
    assert verdicts["spam_detected"] is True
    assert verdicts["spam_score"] == 12.5
    assert verdicts["verdict_source"] == "esp"


def test_only_the_topmost_spam_header_counts_and_a_second_copy_is_flagged(
    client: Client, forwarding_address: str, settings: object
) -> None:
    settings.INBOUND_SPAM_HEADERS_TRUSTED_ESPS = ["mailgun"]  # type: ignore[attr-defined]
    # The ESP prepends its verdict; the sender's forged "No" sits below it.
    raw = spam_flagged([("X-Mailgun-Sflag", "Yes"), ("X-Mailgun-Sflag", "No")])
    verdicts = post_mailgun(client, raw, forwarding_address)
    assert verdicts["spam_detected"] is True
    assert verdicts["spam_header_duplicated"] is True


def test_a_trusted_esp_without_a_spam_header_reports_no_spam(
    client: Client, forwarding_address: str, settings: object
) -> None:
    settings.INBOUND_SPAM_HEADERS_TRUSTED_ESPS = ["mailgun"]  # type: ignore[attr-defined]
    verdicts = post_mailgun(client, simple_message(), forwarding_address)
    assert verdicts["spam_detected"] is False
    assert verdicts["spam_score"] is None
