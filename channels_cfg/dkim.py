"""DKIM for sending domains: key pairs, their storage, and signing the mail we send.

Keys are RSA 2048 (what every receiver accepts; Ed25519 is not yet checked everywhere),
generated with `cryptography` (dkimpy's own `dknewkey` shells out to openssl) and used by
dkimpy to sign. The private key is stored encrypted with a key derived from SECRET_KEY: a
leaked database dump alone cannot sign mail as the customer's domain. The price: rotating
SECRET_KEY needs the old key kept in SECRET_KEY_FALLBACKS until every domain is re-added.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import secrets
from dataclasses import dataclass
from email.message import Message
from email.utils import formatdate
from typing import Any, TypeVar, cast

import dkim as dkimpy
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.crypto import salted_hmac

KEY_BITS = 2048
# What the signature covers: who, to whom, what, when, and the threading, so none can be
# changed or added on the way (RFC 6376 §5.4.1).
SIGNED_HEADERS = (
    "From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
    "MIME-Version", "Content-Type",
)  # fmt: skip
_KEY_SALT = "channels_cfg.dkim.private-key"

EmailMessageT = TypeVar("EmailMessageT", bound=EmailMessage)


@dataclass(frozen=True)
class DkimKeyPair:
    private_pem: bytes  # PKCS#1, as dkimpy reads it
    public_key: str  # base64 of the DER SubjectPublicKeyInfo: the record's `p=`


@dataclass(frozen=True)
class DkimSigner:
    """What signing mail as `domain` needs."""

    domain: str
    selector: str
    private_pem: bytes


def generate_key_pair() -> DkimKeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return DkimKeyPair(private_pem=private_pem, public_key=base64.b64encode(public_der).decode())


def new_selector() -> str:
    """A fresh selector per key, so a domain removed and added again never matches a stale
    record."""
    return f"helpdesk-{secrets.token_hex(3)}"


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac(_KEY_SALT, "fernet", secret=key, algorithm="sha256").digest()
                )
            )
            for key in keys
        ]
    )


def encrypt_private_key(private_pem: bytes) -> str:
    return _fernet().encrypt(private_pem).decode()


def decrypt_private_key(stored: str) -> bytes:
    """The PEM of a stored key; ValueError when no current or fallback SECRET_KEY opens it."""
    try:
        return _fernet().decrypt(stored.encode())
    except InvalidToken as error:
        raise ValueError("the DKIM key was encrypted with another SECRET_KEY") from error


def signature_header(raw: bytes, signer: DkimSigner) -> str:
    """The DKIM-Signature header's value for the message `raw`, on one line (relaxed
    canonicalization, so a relay refolding headers or trimming trailing spaces keeps it valid)."""
    line = dkimpy.sign(
        raw,
        signer.selector.encode(),
        signer.domain.encode(),
        signer.private_pem,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[name.encode() for name in SIGNED_HEADERS],
    )
    value = line.decode("ascii").split(":", 1)[1]  # dkimpy returns "DKIM-Signature: ..."
    # Unfolded: Django refuses header values with line breaks; relaxed canonicalization reads
    # folding whitespace and a single space alike.
    return " ".join(value.split())


class DkimSigning:
    """Mixed into an email's own class (whatever MIME assembly it overrides): its MIME message
    is DKIM-signed every time it is built.

    Django builds the MIME again on each `message()` call, with fresh multipart boundaries:
    signing one build and sending another would break the body hash. So the boundaries are
    fixed (derived from the Message-ID) and the signature is computed on the very object the
    backend serialises (the SMTP, file and console backends, anymail's Amazon SES). ESPs that
    take the mail as API fields (Mailgun, Postmark, SendGrid) build and sign it themselves.
    """

    dkim_signer: DkimSigner
    extra_headers: dict[str, Any]

    def message(self) -> Any:
        message: Message = super().message()  # type: ignore[misc]  # the email class's own
        _fix_boundaries(message, seed=str(self.extra_headers.get("Message-ID", "")))
        raw = message.as_bytes(linesep="\r\n")  # type: ignore[call-arg]  # Django's MIMEMixin
        message["DKIM-Signature"] = signature_header(raw, self.dkim_signer)
        return message


def _fix_boundaries(message: Message, *, seed: str) -> None:
    for index, part in enumerate(message.walk()):
        if part.is_multipart() and part.get_boundary() is None:
            digest = hashlib.sha256(f"{seed}:{index}".encode()).hexdigest()[:32]
            part.set_boundary(f"=_helpdesk_{digest}")


_SIGNING_CLASSES: dict[type, type] = {}


def _signing_class(email_class: type) -> type:
    """`email_class` with DkimSigning mixed in (one per email class)."""
    if email_class not in _SIGNING_CLASSES:
        _SIGNING_CLASSES[email_class] = type(
            f"DkimSigned{email_class.__name__}", (DkimSigning, email_class), {}
        )
    return _SIGNING_CLASSES[email_class]


def signed(email: EmailMessageT, signer: DkimSigner) -> EmailMessageT:
    """A copy of `email` that is DKIM-signed as `signer` when built, its Date fixed so every
    build is the same mail."""
    result = copy.copy(email)
    result.__class__ = cast("type[EmailMessageT]", _signing_class(type(email)))
    result.extra_headers = dict(email.extra_headers)
    if not any(name.lower() == "date" for name in result.extra_headers):
        result.extra_headers["Date"] = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
    result.dkim_signer = signer  # type: ignore[attr-defined]  # DkimSigning's
    return result
