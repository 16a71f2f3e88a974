"""SNS signature checks as plain functions (the webhook tests cover them end to end)."""

from __future__ import annotations

import pytest

from inbox.webhooks.sns import (
    SNSVerificationError,
    is_aws_certificate_url,
    string_to_sign,
    verify_sns_message,
)
from tests.inbox.webhooks.sns_signing import TOPIC_ARN, SNSSigner


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem", True),
        ("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem", True),
        ("http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem", False),
        ("https://sns.us-east-1.amazonaws.com.evil.example/cert.pem", False),
        ("https://evil.example/sns.us-east-1.amazonaws.com/cert.pem", False),
        ("https://sns.us-east-1.amazonaws.com/cert.txt", False),
    ],
)
def test_only_https_certificates_on_aws_sns_hosts_are_fetched(url: str, expected: bool) -> None:
    assert is_aws_certificate_url(url) is expected


def test_the_string_to_sign_follows_the_aws_field_order() -> None:
    notification = {
        "Type": "Notification",
        "TopicArn": "arn:t",
        "Timestamp": "2026-01-01T00:00:00Z",
        "MessageId": "m-1",
        "Message": "hello",
        "SubscribeURL": "ignored for notifications",
    }
    assert string_to_sign(notification) == (
        b"Message\nhello\nMessageId\nm-1\nTimestamp\n2026-01-01T00:00:00Z\nTopicArn\narn:t\n"
        b"Type\nNotification\n"
    )


def test_a_message_signed_by_another_key_is_refused() -> None:
    signed, impostor = SNSSigner(), SNSSigner()
    message = impostor.sign(
        {
            "Type": "Notification",
            "MessageId": "1",
            "TopicArn": TOPIC_ARN,
            "Message": "x",
            "Timestamp": "t",
        }
    )
    with pytest.raises(SNSVerificationError, match="does not match"):
        verify_sns_message(message, allowed_topic_arns=[TOPIC_ARN], fetch=lambda url: signed.pem)


def test_no_allow_list_accepts_nothing() -> None:
    signer = SNSSigner()
    message = signer.sign(
        {
            "Type": "Notification",
            "MessageId": "1",
            "TopicArn": TOPIC_ARN,
            "Message": "x",
            "Timestamp": "t",
        }
    )
    verify_sns_message(message, allowed_topic_arns=[TOPIC_ARN], fetch=lambda url: signer.pem)
    with pytest.raises(SNSVerificationError, match="not allowed"):
        verify_sns_message(message, allowed_topic_arns=[], fetch=lambda url: signer.pem)


def test_an_unknown_signature_version_is_refused() -> None:
    signer = SNSSigner()
    message = signer.sign(
        {
            "Type": "Notification",
            "MessageId": "1",
            "TopicArn": TOPIC_ARN,
            "Message": "x",
            "Timestamp": "t",
        }
    )
    message["SignatureVersion"] = "3"
    with pytest.raises(SNSVerificationError, match="SignatureVersion"):
        verify_sns_message(message, allowed_topic_arns=[TOPIC_ARN], fetch=lambda url: signer.pem)
