"""anymail's own sample inbound payloads of each ESP (../shared/corpus), posted to our routes as
that ESP would: every one is stored with its raw MIME, attributed to the right envelope
recipient, and decided by the pipeline."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.test import Client

from inbox.models import InboundEmail
from tests.inbox.payloads import BASIC_AUTH, multipart_body

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLES = Path("corpus/anymail/inbound-webhook-payloads")
MANDRILL_KEY = "mandrill-test-webhook-key"


def sample(shared_dir: Path, name: str) -> dict:
    return json.loads((shared_dir / SAMPLES / name).read_text())


def post_json(client: Client, path: str, payload: object) -> InboundEmail:
    """Post as the ESP does and return the one ledger row it made."""
    response = client.post(
        path,
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )
    assert response.status_code == 200, response.content
    return InboundEmail.objects.get()


def assert_accepted(row: InboundEmail, esp: str, recipient: str, subject: str) -> None:
    assert (row.esp, row.envelope_recipient) == (esp, recipient)
    assert stored_subject(row) == subject
    assert row.status == InboundEmail.Status.ACCEPTED


def stored_subject(row: InboundEmail) -> str:
    return str(BytesParser(policy=policy.default).parsebytes(bytes(row.raw))["Subject"])


def test_mailjet_sample(client: Client, forwarding_address: str, shared_dir: Path) -> None:
    event = sample(shared_dir, "mailjet--MailjetInboundTestCase.test_inbound_basics.raw_event.json")
    event["Recipient"] = forwarding_address
    row = post_json(client, "/anymail/mailjet/inbound/", event)
    assert_accepted(row, "mailjet", forwarding_address, "Test subject")


def test_sparkpost_sample(client: Client, forwarding_address: str, shared_dir: Path) -> None:
    event = sample(shared_dir, "sparkpost--SparkpostInboundTestCase.test_inbound_basics.event.json")
    event["rcpt_to"] = forwarding_address
    row = post_json(client, "/anymail/sparkpost/inbound/", [{"msys": {"relay_message": event}}])
    assert_accepted(row, "sparkpost", forwarding_address, "Test subject")


def test_mandrill_sample(
    client: Client, forwarding_address: str, shared_dir: Path, settings
) -> None:
    settings.ANYMAIL["MANDRILL_WEBHOOK_KEY"] = MANDRILL_KEY
    settings.ANYMAIL["MANDRILL_WEBHOOK_URL"] = "http://testserver/anymail/mandrill/"
    event = sample(
        shared_dir, "mandrill--MandrillInboundTestCase.test_inbound_basics.raw_event.json"
    )
    event["msg"]["email"] = forwarding_address
    form = {"mandrill_events": json.dumps([event])}
    signed = settings.ANYMAIL["MANDRILL_WEBHOOK_URL"] + "".join(
        key + form[key] for key in sorted(form)
    )
    signature = base64.b64encode(
        hmac.new(MANDRILL_KEY.encode(), signed.encode(), hashlib.sha1).digest()
    ).decode()
    response = client.post(
        "/anymail/mandrill/",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=BASIC_AUTH,
        HTTP_X_MANDRILL_SIGNATURE=signature,
    )
    assert response.status_code == 200, response.content
    assert_accepted(InboundEmail.objects.get(), "mandrill", forwarding_address, "Test subject")


@pytest.mark.parametrize(
    "name",
    ["postmark-inbound-test-payload.json", "postmark-inbound-test-payload-with-raw.json"],
)
def test_postmark_samples(
    client: Client, forwarding_address: str, shared_dir: Path, name: str
) -> None:
    event = json.loads((shared_dir / "corpus/anymail/test_files" / name).read_text())
    event["OriginalRecipient"] = forwarding_address
    row = post_json(client, "/anymail/postmark/inbound/", event)
    assert_accepted(row, "postmark", forwarding_address, "Test subject")


def test_a_postmark_payload_without_recipient_or_body_is_kept_and_refused(
    client: Client, forwarding_address: str, shared_dir: Path
) -> None:
    event = sample(
        shared_dir, "postmark--PostmarkInboundTestCase.test_spammy_address.raw_event.json"
    )
    row = post_json(client, "/anymail/postmark/inbound/", event)
    assert row.status == InboundEmail.Status.REJECTED and row.reason_detail


@pytest.mark.parametrize(
    "name",
    [
        "sendgrid--SendgridInboundTestCase.test_inbound_basics.raw_event.json",
        "sendgrid--SendgridInboundTestCase.test_inbound_mime.raw_event.json",
    ],
)
def test_sendgrid_samples(
    client: Client, forwarding_address: str, shared_dir: Path, name: str
) -> None:
    fields = sample(shared_dir, name)
    fields["envelope"] = json.dumps({"to": [forwarding_address], "from": "bounce@example.org"})
    body, content_type = multipart_body({key: str(value) for key, value in fields.items()})
    response = client.post(
        "/anymail/sendgrid/inbound/",
        data=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )
    assert response.status_code == 200, response.content
    assert_accepted(InboundEmail.objects.get(), "sendgrid", forwarding_address, fields["subject"])
