"""DKIM keys and signing: what dkimpy verifies is what a backend serialises."""

from __future__ import annotations

import copy

import dkim as dkimpy
import pytest
from django.core.mail import EmailMultiAlternatives

from channels_cfg import dkim
from channels_cfg.dns_records import dkim_value
from inbox.outbound import compose

PAIR = dkim.generate_key_pair()
SIGNER = dkim.DkimSigner(
    domain="acme.example", selector="helpdesk-abc123", private_pem=PAIR.private_pem
)
TXT = dkim_value(PAIR.public_key).encode()


def published(name: bytes, timeout: float = 5) -> bytes | None:
    return TXT if name == b"helpdesk-abc123._domainkey.acme.example." else None


def reply_email(attachments=()) -> EmailMultiAlternatives:
    reply = compose.Reply(
        from_name="Alice at Acme",
        from_email="help@acme.example",
        to="jane@customer.example",
        cc=("bob@customer.example",),
        subject="Ré: Printer on fire " + "and more " * 12,
        text="Hello Jane,\n.\nFrom here on it works.\n" + "x" * 1200,
        html='<p>Hello Jane</p><p><img src="cid:logo@acme"></p>',
        in_reply_to="<a@customer.example>",
        references=" ".join(f"<{n}-reference@customer.example>" for n in range(20)),
    )
    return compose.build_email(
        reply,
        message_id="<reply-1@acme.example>",
        loop_header="x",
        metadata={},
        attachments=list(attachments),
    )


ATTACHMENTS = [
    compose.AttachmentFile("notes.txt", b"one\r\n.two\r\n", "text/plain"),
    compose.AttachmentFile("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png", "logo@acme"),
]


@pytest.mark.parametrize(
    "attachments", [[], ATTACHMENTS[:1], ATTACHMENTS], ids=["plain", "mixed", "inline"]
)
@pytest.mark.parametrize("linesep", ["\r\n", "\n"])
def test_every_build_of_a_signed_reply_verifies(attachments, linesep: str) -> None:
    email = dkim.signed(reply_email(attachments), SIGNER)
    # What the SMTP backend sends (CRLF) and what the file and console backends write (LF).
    first = email.message().as_bytes(linesep=linesep)
    assert dkimpy.verify(first, dnsfunc=published)
    # Built again (the locmem backend copies the email; a retry builds it anew): same mail.
    again = copy.deepcopy(email).message().as_bytes(linesep=linesep)
    assert dkimpy.verify(again, dnsfunc=published)
    strip = lambda raw: raw.split(b"DKIM-Signature:")[0]  # noqa: E731
    assert strip(first) == strip(again)


def test_signing_keeps_the_emails_own_mime_assembly() -> None:
    """compose's reply class puts inline images in a multipart/related; signing keeps that."""
    unsigned = reply_email(ATTACHMENTS).message().as_bytes()
    signed = dkim.signed(reply_email(ATTACHMENTS), SIGNER).message().as_bytes()
    assert b"multipart/related" in unsigned and b"multipart/related" in signed
    assert b"Content-ID: <logo@acme>" in signed


def test_the_original_email_is_left_unsigned() -> None:
    email = reply_email()
    dkim.signed(email, SIGNER)
    assert b"DKIM-Signature" not in email.message().as_bytes()
    assert "Date" not in email.extra_headers


def test_a_tampered_body_or_another_key_fails() -> None:
    raw = dkim.signed(reply_email(), SIGNER).message().as_bytes()
    assert not dkimpy.verify(raw.replace(b"Hello Jane", b"Hello Mark"), dnsfunc=published)
    other = dkim_value(dkim.generate_key_pair().public_key).encode()
    assert not dkimpy.verify(raw, dnsfunc=lambda name, timeout=5: other)


def test_the_private_key_is_stored_encrypted_and_needs_the_secret_key(settings) -> None:
    stored = dkim.encrypt_private_key(PAIR.private_pem)
    assert b"PRIVATE KEY" not in stored.encode()
    assert dkim.decrypt_private_key(stored) == PAIR.private_pem
    original = settings.SECRET_KEY
    settings.SECRET_KEY = "another-secret-key"
    with pytest.raises(ValueError, match="another SECRET_KEY"):
        dkim.decrypt_private_key(stored)
    settings.SECRET_KEY_FALLBACKS = [original]
    assert dkim.decrypt_private_key(stored) == PAIR.private_pem
