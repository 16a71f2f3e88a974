"""Only the ESPs the operator enabled answer, each with its own secret if it has one, and the
signing ESPs never without their signature (docs/reliability.md, "One secret per ESP, and only
the ESPs we use").

The drill that found it: with the shared basic-auth secret alone, a forged mail posted to the
SendGrid or Postmark route of an install receiving through Mailgun was routed into a workspace.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from inbox.models import InboundEmail
from tests.inbox.payloads import (
    BASIC_AUTH,
    mailgun_mime_post,
    postmark_payload,
    sendgrid_post,
    simple_message,
)

pytestmark = pytest.mark.django_db

REPO_ROOT = Path(__file__).resolve().parents[3]


def basic_auth(secret: str) -> str:
    return "Basic " + base64.b64encode(secret.encode()).decode()


def post_sendgrid(client: Client, recipient: str, auth: str = BASIC_AUTH):
    body, content_type = sendgrid_post(simple_message(to=recipient), recipient)
    return client.post(
        "/anymail/sendgrid/inbound/",
        data=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=auth,
    )


def post_postmark(client: Client, recipient: str, auth: str = BASIC_AUTH):
    return client.post(
        "/anymail/postmark/inbound/",
        data=postmark_payload(simple_message(to=recipient), recipient=recipient),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )


def post_mailgun(client: Client, recipient: str):
    body, content_type = mailgun_mime_post(simple_message(to=recipient), recipient=recipient)
    return client.post(
        "/anymail/mailgun/inbound_mime/",
        data=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )


def test_a_forged_post_to_an_esp_the_operator_did_not_enable_is_a_404(
    client: Client, forwarding_address: str, settings
) -> None:
    settings.INBOUND_ESPS = ["mailgun"]
    assert post_sendgrid(client, forwarding_address).status_code == 404
    assert post_postmark(client, forwarding_address).status_code == 404
    mandrill = client.post("/anymail/mandrill/", data={}, HTTP_AUTHORIZATION=BASIC_AUTH)
    assert mandrill.status_code == 404
    assert not InboundEmail.objects.exists()
    # The enabled one still works.
    assert post_mailgun(client, forwarding_address).status_code == 200
    assert InboundEmail.objects.count() == 1


def test_a_disabled_esps_route_answers_before_reading_the_body(client: Client, settings) -> None:
    # A body over the inbound limit would be a 413 once read; the gate answers first.
    settings.INBOUND_ESPS = ["mailgun"]
    settings.INBOUND_MAX_REQUEST_BYTES = 10
    response = client.post(
        "/anymail/sendgrid/inbound/",
        data=b"x" * 1000,
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )
    assert response.status_code == 404


def test_an_esp_with_its_own_secret_refuses_the_shared_one(
    client: Client, forwarding_address: str, settings
) -> None:
    settings.ANYMAIL["POSTMARK_WEBHOOK_SECRET"] = "postmark-user:postmark-only"
    assert post_postmark(client, forwarding_address).status_code == 400
    assert not InboundEmail.objects.exists()
    own = basic_auth("postmark-user:postmark-only")
    assert post_postmark(client, forwarding_address, auth=own).status_code == 200
    # Its secret opens no other ESP's route, and the others keep the shared one.
    assert post_sendgrid(client, forwarding_address, auth=own).status_code == 400
    assert post_sendgrid(client, forwarding_address).status_code == 200
    assert InboundEmail.objects.count() == 2


def test_an_esps_own_secret_from_the_environment_may_list_two_to_rotate(
    client: Client, forwarding_address: str, settings
) -> None:
    # ANYMAIL_SENDGRID_WEBHOOK_SECRET arrives as the string the environment holds.
    settings.ANYMAIL["SENDGRID_WEBHOOK_SECRET"] = "old-user:old-pass, new-user:new-pass"
    for secret in ("new-user:new-pass", "old-user:old-pass"):
        assert post_sendgrid(client, forwarding_address, basic_auth(secret)).status_code == 200
    assert post_sendgrid(client, forwarding_address).status_code == 400


def test_mailgun_without_its_signing_key_accepts_nothing(
    client: Client, forwarding_address: str, settings
) -> None:
    del settings.ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"]
    settings.ANYMAIL["MAILGUN_API_KEY"] = "an-api-key"  # anymail would fall back to it
    response = post_mailgun(client, forwarding_address)
    # 503: Mailgun retries while the operator sets the key, so no mail is lost.
    assert response.status_code == 503
    assert not InboundEmail.objects.exists()


def test_mandrill_without_its_webhook_key_accepts_nothing(
    client: Client, forwarding_address: str, settings
) -> None:
    settings.ANYMAIL.pop("MANDRILL_WEBHOOK_KEY", None)
    event = {
        "event": "inbound",
        "msg": {"email": forwarding_address, "raw_msg": simple_message().decode()},
    }
    response = client.post(
        "/anymail/mandrill/",
        data={"mandrill_events": json.dumps([event])},
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )
    assert response.status_code == 503
    assert not InboundEmail.objects.exists()


def test_amazon_ses_without_allowed_topics_accepts_nothing(
    client: Client, forwarding_address: str, settings
) -> None:
    settings.AMAZON_SES_ALLOWED_TOPIC_ARNS = []
    response = client.post(
        "/anymail/amazon_ses/inbound/",
        data=json.dumps({"Type": "Notification", "MessageId": "1", "Message": "{}"}),
        content_type="text/plain",
        HTTP_AUTHORIZATION=BASIC_AUTH,
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
    )
    assert response.status_code == 503
    assert not InboundEmail.objects.exists()


def test_production_must_name_its_esps(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "TESTING", "PYTEST_CURRENT_TEST", "INBOUND_ESPS"}
    }
    env.update(
        DEBUG="false",
        TESTING="false",
        SECRET_KEY="a-production-secret-key-for-this-test-only-0123456789",
        ANYMAIL_WEBHOOK_SECRET="user:password",
        DJANGO_SETTINGS_MODULE="helpdesk.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    script = "import django; django.setup(); from django.conf import settings; print(settings.INBOUND_ESPS)"
    unset = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert unset.returncode != 0
    assert "INBOUND_ESPS is not set" in unset.stderr
    named = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env={**env, "INBOUND_ESPS": "Mailgun, amazon_ses"},
        capture_output=True,
        text=True,
    )
    assert named.returncode == 0, named.stderr
    assert named.stdout.strip() == "['mailgun', 'amazon_ses']"
