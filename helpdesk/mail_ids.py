"""Marks on the mail we send, so that it is recognised when it comes back: the loop header, and
Message-IDs that encode their thread, signed, so a reply threads even when its References were
cut and nobody can forge a Message-ID that files mail into a thread they guess."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.conf import settings

LOOP_HEADER = "X-Loop"


def loop_header_value() -> str:
    """The value we put in LOOP_HEADER; inbound mail carrying it is our own mail looping back."""
    return f"helpdesk@{settings.HOSTED_INBOX_DOMAIN}"


_OUTBOUND_ID = re.compile(
    r"<?hd\.t(?P<thread>\d+)\.(?P<nonce>[0-9a-z]+)\.(?P<sig>[0-9a-f]{16})@(?P<domain>[^>\s]+)>?"
)


def _signature(thread_id: int, nonce: str) -> str:
    key = hashlib.sha256(b"outbound-message-id:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, f"{thread_id}.{nonce}".encode(), hashlib.sha256).hexdigest()[:16]


def make_outbound_message_id(*, thread_id: int, domain: str, nonce: str | None = None) -> str:
    """A new Message-ID (with angle brackets) for mail we send on a thread.

    Pass a fixed nonce (for example the outbound Message's primary key) to get the same id on
    every retry, so a resend can never become a second, different mail.
    """
    nonce = nonce or secrets.token_hex(8)
    nonce = nonce.lower()
    return f"<hd.t{thread_id}.{nonce}.{_signature(thread_id, nonce)}@{domain}>"


def thread_id_from_message_id(value: str) -> int | None:
    """The thread a Message-ID of ours belongs to, or None if it is not ours or not signed by us."""
    match = _OUTBOUND_ID.search(value or "")
    if not match:
        return None
    thread_id = int(match["thread"])
    if not hmac.compare_digest(match["sig"], _signature(thread_id, match["nonce"])):
        return None
    return thread_id


def is_our_message_id(value: str) -> bool:
    return thread_id_from_message_id(value) is not None


_TEST_ID = re.compile(r"<?hd\.test\.(?P<token>[0-9a-zA-Z_-]+)\.(?P<sig>[0-9a-f]{16})@[^>\s]+>?")


def make_test_message_id(*, token: str, domain: str) -> str:
    """The Message-ID of a channel's "Send test email" mail, so its return can be recognised."""
    return f"<hd.test.{token}.{_signature(0, 'test.' + token)}@{domain}>"


def test_token_from_message_id(value: str) -> str | None:
    """The test-email token in a Message-ID of ours, or None."""
    match = _TEST_ID.search(value or "")
    if not match or not hmac.compare_digest(match["sig"], _signature(0, "test." + match["token"])):
        return None
    return match["token"]
