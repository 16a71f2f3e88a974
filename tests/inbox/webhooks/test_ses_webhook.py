"""Amazon SES through SNS: basic auth, the SNS signature verified, topics allow-listed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from inbox.models import InboundEmail
from inbox.webhooks import sns
from tests.inbox.payloads import BASIC_AUTH, simple_message
from tests.inbox.webhooks.sns_signing import CERT_URL, TOPIC_ARN, SNSSigner, ses_notification

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/anymail/amazon_ses/inbound/"


@pytest.fixture
def signer(settings: object) -> Iterator[SNSSigner]:
    settings.AMAZON_SES_ALLOWED_TOPIC_ARNS = [TOPIC_ARN]  # type: ignore[attr-defined]
    signer = SNSSigner()
    sns._certificates[CERT_URL] = signer.pem
    yield signer
    sns._certificates.pop(CERT_URL, None)


def post_sns(client: Client, message: dict[str, Any], auth: str | None = BASIC_AUTH):
    headers = {
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": message["Type"],
        "HTTP_X_AMZ_SNS_MESSAGE_ID": message["MessageId"],
    }
    if auth:
        headers["HTTP_AUTHORIZATION"] = auth
    return client.post(URL, data=json.dumps(message), content_type="text/plain", **headers)


def test_signed_notification_from_an_allowed_topic_is_stored(
    client: Client, signer: SNSSigner, forwarding_address: str
) -> None:
    raw = simple_message(to=forwarding_address)
    response = post_sns(client, signer.sign(ses_notification(raw, recipients=[forwarding_address])))
    assert response.status_code == 200
    row = InboundEmail.objects.get()
    assert bytes(row.raw) == raw
    assert row.esp == "amazon_ses"
    assert row.envelope_sender == "bounce@sender.example"
    assert row.status == InboundEmail.Status.ACCEPTED


def test_signature_version_1_is_verified_too(
    client: Client, signer: SNSSigner, forwarding_address: str
) -> None:
    message = signer.sign(ses_notification(simple_message(), recipients=[forwarding_address]), "1")
    assert post_sns(client, message).status_code == 200
    assert InboundEmail.objects.count() == 1


def test_ses_verdicts_are_the_esps_own(
    client: Client, signer: SNSSigner, forwarding_address: str
) -> None:
    notification = ses_notification(
        simple_message(), recipients=[forwarding_address], spam="FAIL", dmarc="FAIL"
    )
    post_sns(client, signer.sign(notification))
    verdicts = InboundEmail.objects.get().esp_verdicts
    assert verdicts["spam_detected"] is True
    assert verdicts["verdict_source"] == "esp"
    assert verdicts["dmarc_verdict"] == "fail"
    assert verdicts["esp"] == "amazon_ses"


def test_a_foreign_topic_is_refused_even_with_valid_basic_auth_and_signature(
    client: Client, signer: SNSSigner, forwarding_address: str
) -> None:
    foreign = "arn:aws:sns:eu-west-1:999999999999:someone-else"
    notification = ses_notification(
        simple_message(), recipients=[forwarding_address], topic_arn=foreign
    )
    assert post_sns(client, signer.sign(notification)).status_code == 400
    assert not InboundEmail.objects.exists()


def test_a_forged_signature_is_refused(
    client: Client, signer: SNSSigner, forwarding_address: str
) -> None:
    message = signer.sign(ses_notification(simple_message(), recipients=[forwarding_address]))
    message["Message"] = message["Message"].replace("bounce@sender.example", "x@evil.example")
    assert post_sns(client, message).status_code == 400
    assert not InboundEmail.objects.exists()


def test_a_certificate_outside_aws_is_refused(
    client: Client, signer: SNSSigner, forwarding_address: str
) -> None:
    message = signer.sign(ses_notification(simple_message(), recipients=[forwarding_address]))
    message["SigningCertURL"] = "https://evil.example/sns.pem"
    assert post_sns(client, message).status_code == 400


def test_missing_basic_auth_gets_the_401_sns_needs(
    client: Client, signer: SNSSigner, forwarding_address: str
) -> None:
    message = signer.sign(ses_notification(simple_message(), recipients=[forwarding_address]))
    response = post_sns(client, message, auth=None)
    assert response.status_code == 401
    assert not InboundEmail.objects.exists()


def test_subscription_confirmation_from_an_unknown_topic_is_not_confirmed(
    client: Client, signer: SNSSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    confirmations: list[Any] = []
    monkeypatch.setattr(
        "anymail.webhooks.amazon_ses.AmazonSESBaseWebhookView.auto_confirm_sns_subscription",
        lambda self, message: confirmations.append(message),
    )
    confirmation = signer.sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "confirm-1",
            "Token": "token",
            "TopicArn": "arn:aws:sns:eu-west-1:999999999999:someone-else",
            "Message": "You have chosen to subscribe",
            "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription",
            "Timestamp": "2026-11-26T10:00:00.000Z",
        }
    )
    assert post_sns(client, confirmation).status_code == 400
    assert confirmations == []


def test_one_delivery_to_two_forwarding_addresses_is_two_rows(
    client: Client, signer: SNSSigner, forwarding_address: str, second_forwarding_address: str
) -> None:
    notification = ses_notification(
        simple_message(), recipients=[forwarding_address, second_forwarding_address]
    )
    assert post_sns(client, signer.sign(notification)).status_code == 200
    assert sorted(InboundEmail.objects.values_list("envelope_recipient", flat=True)) == sorted(
        [forwarding_address, second_forwarding_address]
    )


def test_a_replayed_notification_stores_one_row(
    client: Client, signer: SNSSigner, forwarding_address: str
) -> None:
    message = signer.sign(ses_notification(simple_message(), recipients=[forwarding_address]))
    post_sns(client, message)
    post_sns(client, message)
    assert InboundEmail.objects.count() == 1
