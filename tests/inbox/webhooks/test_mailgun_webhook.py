"""Mailgun: raw MIME (`body-mime`) and the parsed form, basic auth plus the HMAC signature."""

from __future__ import annotations

import hashlib
import json
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from django.test import Client

from inbox.models import InboundEmail, Message
from tests.inbox.payloads import (
    BASIC_AUTH,
    mailgun_mime_post,
    mailgun_signature,
    multipart_body,
    simple_message,
)

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/anymail/mailgun/inbound_mime/"


def post(client: Client, body: bytes, content_type: str, auth: str | None = BASIC_AUTH):
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return client.post(URL, data=body, content_type=content_type, **headers)


def test_raw_mime_is_stored_byte_for_byte_before_the_answer(
    client: Client, forwarding_address: str
) -> None:
    raw = simple_message(to=forwarding_address).replace(b"\n", b"\r\n") + "Café ☕\r\n".encode()
    response = post(client, *mailgun_mime_post(raw, recipient=forwarding_address.upper()))
    assert response.status_code == 200
    row = InboundEmail.objects.get()
    assert bytes(row.raw) == raw
    assert row.sha256 == hashlib.sha256(raw).hexdigest()
    assert row.size == len(raw)
    assert row.esp == "mailgun"
    assert row.envelope_recipient == forwarding_address
    assert row.envelope_sender == "bounce@sender.example"
    assert row.esp_event_id
    assert row.status == InboundEmail.Status.ACCEPTED
    assert Message.objects.filter(inbound=row).count() == 1


def test_post_without_basic_auth_is_refused_and_stores_nothing(
    client: Client, forwarding_address: str
) -> None:
    response = post(
        client, *mailgun_mime_post(simple_message(), recipient=forwarding_address), auth=None
    )
    assert response.status_code == 400
    assert not InboundEmail.objects.exists()


def test_post_with_a_wrong_mailgun_signature_is_refused(
    client: Client, forwarding_address: str
) -> None:
    body, content_type = mailgun_mime_post(
        simple_message(), recipient=forwarding_address, signing_key="someone-elses-key"
    )
    assert post(client, body, content_type).status_code == 400
    assert not InboundEmail.objects.exists()


def test_a_rotated_second_webhook_secret_is_accepted(
    client: Client, forwarding_address: str, settings: object
) -> None:
    settings.ANYMAIL["WEBHOOK_SECRET"] = ["new-user:new-password", "hook-user:hook-password"]  # type: ignore[attr-defined]
    response = post(client, *mailgun_mime_post(simple_message(), recipient=forwarding_address))
    assert response.status_code == 200
    assert InboundEmail.objects.count() == 1


def test_parsed_form_is_stored_as_rebuilt_mime(
    client: Client, forwarding_address: str, shared_dir: Path
) -> None:
    sample = json.loads(
        (
            shared_dir
            / "corpus/anymail/inbound-webhook-payloads"
            / "mailgun--MailgunInboundTestCase.test_inbound_basics.raw_event.json"
        ).read_text()
    )
    sample["recipient"] = forwarding_address
    sample["timestamp"] = str(int(time.time()))  # the sample's own is years old: refused
    sample["signature"] = mailgun_signature(sample["timestamp"], sample["token"])
    body, content_type = multipart_body(sample)
    response = client.post(
        "/anymail/mailgun/inbound/",
        data=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )
    assert response.status_code == 200
    row = InboundEmail.objects.get()
    stored = BytesParser(policy=policy.default).parsebytes(bytes(row.raw))
    assert stored.get_body(("plain",)).get_content().strip() == "Test body plain"
    assert row.esp_event_id == sample["token"]
    assert row.status == InboundEmail.Status.ACCEPTED


def test_a_replayed_signed_post_stores_one_message(client: Client, forwarding_address: str) -> None:
    body, content_type = mailgun_mime_post(simple_message(), recipient=forwarding_address)
    assert post(client, body, content_type).status_code == 200
    assert post(client, body, content_type).status_code == 200
    assert InboundEmail.objects.count() == 1
    assert Message.objects.count() == 1


def test_same_bytes_to_the_same_recipient_under_a_new_token_is_one_delivery(
    client: Client, forwarding_address: str
) -> None:
    raw = simple_message()
    post(client, *mailgun_mime_post(raw, recipient=forwarding_address, token="a" * 50))
    post(client, *mailgun_mime_post(raw, recipient=forwarding_address, token="b" * 50))
    assert InboundEmail.objects.count() == 1
    assert Message.objects.count() == 1


def test_same_bytes_to_two_forwarding_addresses_are_two_deliveries(
    client: Client, forwarding_address: str, second_forwarding_address: str
) -> None:
    raw = simple_message()
    post(client, *mailgun_mime_post(raw, recipient=forwarding_address))
    post(client, *mailgun_mime_post(raw, recipient=second_forwarding_address))
    assert InboundEmail.objects.count() == 2


def test_same_message_id_with_different_content_is_not_a_duplicate(
    client: Client, forwarding_address: str
) -> None:
    for body in ("First version", "A different body"):
        raw = simple_message(message_id="<reused@victim.example>", body=body)
        post(client, *mailgun_mime_post(raw, recipient=forwarding_address))
    assert InboundEmail.objects.count() == 2
    assert set(InboundEmail.objects.values_list("status", flat=True)) == {"accepted"}


def test_routing_uses_the_envelope_recipient_not_the_to_header(
    client: Client, forwarding_address: str, second_forwarding_address: str
) -> None:
    raw = simple_message(to=second_forwarding_address)
    post(client, *mailgun_mime_post(raw, recipient=forwarding_address))
    row = InboundEmail.objects.get()
    assert row.envelope_recipient == forwarding_address
    assert row.channel is not None
    assert row.channel.forwarding_address.address == forwarding_address


DAY = 24 * 60 * 60


@pytest.mark.parametrize(
    "age_seconds",
    [30 * DAY, -30 * DAY, 16 * 60, -16 * 60, "abc", "", "1e9", "-5"],
    ids=["30-days-old", "30-days-ahead", "16-minutes-old", "16-minutes-ahead", "abc", "empty",
         "exponent", "negative"],
)  # fmt: skip
def test_a_signed_post_with_a_stale_future_or_garbage_timestamp_is_refused(
    client: Client, forwarding_address: str, age_seconds: int | str
) -> None:
    # Mailgun signs only timestamp + token: an old signature must not open the route again.
    timestamp = str(int(time.time()) - age_seconds) if isinstance(age_seconds, int) else age_seconds
    body, content_type = mailgun_mime_post(
        simple_message(), recipient=forwarding_address, timestamp=timestamp
    )
    # 400, like every failed check: Mailgun retries anything but 200 and 406, so a post of
    # Mailgun's own that we refuse by mistake (a clock off by minutes) is not given up on.
    assert post(client, body, content_type).status_code == 400
    assert not InboundEmail.objects.exists()


@pytest.mark.parametrize("age_seconds", [14 * 60, -14 * 60, 0], ids=["old", "ahead", "now"])
def test_a_timestamp_within_15_minutes_is_accepted(
    client: Client, forwarding_address: str, age_seconds: int
) -> None:
    body, content_type = mailgun_mime_post(
        simple_message(),
        recipient=forwarding_address,
        timestamp=str(int(time.time()) - age_seconds),
    )
    assert post(client, body, content_type).status_code == 200
    assert InboundEmail.objects.count() == 1


def test_a_signature_replayed_with_another_mail_is_refused(
    client: Client, forwarding_address: str
) -> None:
    token, timestamp = "r" * 50, str(int(time.time()))
    genuine = mailgun_mime_post(
        simple_message(body="The real one"), recipient=forwarding_address, token=token,
        timestamp=timestamp,
    )  # fmt: skip
    assert post(client, *genuine).status_code == 200
    forged = mailgun_mime_post(
        simple_message(body="Pay this invoice to a new account"),
        recipient=forwarding_address,
        token=token,
        timestamp=timestamp,
    )
    assert post(client, *forged).status_code == 400
    # The same post again is Mailgun retrying: answered, and stored once by the ledger.
    assert post(client, *genuine).status_code == 200
    assert InboundEmail.objects.count() == 1
    assert b"The real one" in bytes(InboundEmail.objects.get().raw)
    # A fresh token is accepted.
    fresh = mailgun_mime_post(simple_message(body="Another"), recipient=forwarding_address)
    assert post(client, *fresh).status_code == 200
    assert InboundEmail.objects.count() == 2


def test_a_signature_replayed_within_the_window_is_refused_even_after_the_ledger_forgets(
    client: Client, forwarding_address: str
) -> None:
    # The token memory does not lean on the ledger: with the first row gone, the signature still
    # opens nothing new.
    token, timestamp = "s" * 50, str(int(time.time()))
    first = mailgun_mime_post(
        simple_message(), recipient=forwarding_address, token=token, timestamp=timestamp
    )
    assert post(client, *first).status_code == 200
    Message.objects.all().delete()
    InboundEmail.objects.all().delete()
    other = mailgun_mime_post(
        simple_message(body="Other"), recipient=forwarding_address, token=token,
        timestamp=timestamp,
    )  # fmt: skip
    assert post(client, *other).status_code == 400
    assert not InboundEmail.objects.exists()


def test_with_the_cache_unreachable_a_fresh_signed_post_is_still_stored(
    client: Client, forwarding_address: str, settings, caplog
) -> None:
    # Redis down must cost no mail (docs/reliability.md, "Faults: database, broker, worker"):
    # the timestamp and signature are still checked, the token is not remembered.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    body, content_type = mailgun_mime_post(simple_message(), recipient=forwarding_address)
    assert post(client, body, content_type).status_code == 200
    assert InboundEmail.objects.count() == 1
    assert "not checked for replay" in caplog.text
