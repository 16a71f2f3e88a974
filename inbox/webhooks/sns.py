"""Amazon SNS message signatures, which anymail does not check (docs/reliability.md, "Amazon SES and
SNS signatures", "SNS subscriptions").

Follows docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html: the string to
sign is "Name\\nvalue\\n" for a fixed list of fields; SignatureVersion 1 is SHA1withRSA and 2 is
SHA256withRSA; the certificate must come over HTTPS from an SNS host of AWS.
"""

from __future__ import annotations

import base64
import re
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
SIGNATURE_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
CERT_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")

_certificates: dict[str, bytes] = {}


class SNSVerificationError(Exception):
    """The SNS message is not signed by AWS, or comes from a topic we do not accept."""


def string_to_sign(message: Mapping[str, Any]) -> bytes:
    fields = NOTIFICATION_FIELDS if message.get("Type") == "Notification" else CONFIRMATION_FIELDS
    lines = []
    for name in fields:
        if name in message and message[name] is not None:
            lines.append(f"{name}\n{message[name]}\n")
    return "".join(lines).encode("utf-8")


def is_aws_certificate_url(url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.scheme == "https"
        and CERT_HOST.match(parts.hostname or "") is not None
        and parts.path.endswith(".pem")
    )


def fetch_certificate(url: str) -> bytes:
    """The PEM at an AWS SNS certificate URL, kept for the life of the process."""
    if url not in _certificates:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (https, AWS host)
            _certificates[url] = response.read()
    return _certificates[url]


def verify_sns_message(
    message: Mapping[str, Any],
    *,
    allowed_topic_arns: list[str],
    fetch: Callable[[str], bytes] = fetch_certificate,
) -> None:
    """Raise SNSVerificationError unless AWS signed this message for an allowed topic."""
    if message.get("TopicArn") not in allowed_topic_arns:
        raise SNSVerificationError(f"SNS topic {message.get('TopicArn')!r} is not allowed")
    algorithm = SIGNATURE_HASHES.get(str(message.get("SignatureVersion", "")))
    if algorithm is None:
        raise SNSVerificationError("unknown SNS SignatureVersion")
    url = str(message.get("SigningCertURL", ""))
    if not is_aws_certificate_url(url):
        raise SNSVerificationError(f"SNS signing certificate URL {url!r} is not an AWS one")
    # A failed download (OSError) propagates: the answer is a 5xx and SNS retries, as it must
    # for a fault on our side.
    pem = fetch(url)
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError as error:
        raise SNSVerificationError(f"cannot check the SNS signature: {error}") from error
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SNSVerificationError("the SNS signing certificate is not an RSA key")
    try:
        public_key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm())
    except InvalidSignature as error:
        raise SNSVerificationError("the SNS signature does not match") from error
