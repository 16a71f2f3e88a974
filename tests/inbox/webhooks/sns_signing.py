"""A test certificate authority for SNS: sign messages as AWS would, serve the certificate
from the verifier's cache (no network)."""

from __future__ import annotations

import base64
import datetime
import json
import uuid
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from inbox.webhooks.sns import string_to_sign

CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem"
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:helpdesk-inbound"


class SNSSigner:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(self.key, hashes.SHA256())
        )
        self.pem = certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, message: dict[str, Any], version: str = "2") -> dict[str, Any]:
        message = {**message, "SignatureVersion": version, "SigningCertURL": CERT_URL}
        # SignatureVersion 1 is SHA1 by AWS's definition.
        algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()  # noqa: S303
        signature = self.key.sign(string_to_sign(message), padding.PKCS1v15(), algorithm)
        return {**message, "Signature": base64.b64encode(signature).decode()}


def ses_notification(
    raw: bytes,
    *,
    recipients: list[str],
    topic_arn: str = TOPIC_ARN,
    spam: str = "PASS",
    dmarc: str = "PASS",
) -> dict[str, Any]:
    ses_event = {
        "notificationType": "Received",
        "mail": {
            "timestamp": "2026-11-26T10:00:00.000Z",
            "source": "bounce@sender.example",
            "messageId": uuid.uuid4().hex,
            "destination": recipients,
        },
        "receipt": {
            "recipients": recipients,
            "spamVerdict": {"status": spam},
            "virusVerdict": {"status": "PASS"},
            "dmarcVerdict": {"status": dmarc},
            "action": {"type": "SNS", "topicArn": topic_arn, "encoding": "BASE64"},
        },
        "content": base64.b64encode(raw).decode(),
    }
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic_arn,
        "Subject": "Amazon SES Email Receipt Notification",
        "Message": json.dumps(ses_event),
        "Timestamp": "2026-11-26T10:00:01.000Z",
    }
