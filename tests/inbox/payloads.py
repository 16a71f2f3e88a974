"""Build ESP webhook posts the way each ESP sends them, with real auth and signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from email.message import EmailMessage
from typing import Any

import pytest

from inbox.models import InboundEmail

WEBHOOK_SECRET = "hook-user:hook-password"
MAILGUN_SIGNING_KEY = "mailgun-signing-key"
BASIC_AUTH = "Basic " + base64.b64encode(WEBHOOK_SECRET.encode()).decode()


def multipart_body(fields: dict[str, bytes | str]) -> tuple[bytes, str]:
    """A multipart/form-data body whose field values are sent byte for byte."""
    boundary = f"----helpdesk{uuid.uuid4().hex}"
    chunks = []
    for name, value in fields.items():
        data = value.encode() if isinstance(value, str) else value
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def mailgun_signature(timestamp: str, token: str, key: str = MAILGUN_SIGNING_KEY) -> str:
    return hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def mailgun_mime_post(
    raw: bytes,
    *,
    recipient: str,
    sender: str = "bounce@sender.example",
    token: str | None = None,
    signing_key: str = MAILGUN_SIGNING_KEY,
    timestamp: str | None = None,
) -> tuple[bytes, str]:
    token = token or uuid.uuid4().hex
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    return multipart_body(
        {
            "recipient": recipient,
            "sender": sender,
            "timestamp": timestamp,
            "token": token,
            "signature": mailgun_signature(timestamp, token, signing_key),
            "body-mime": raw,
        }
    )


def post_to_mailgun(client: Any, raw: bytes, *, recipient: str, signing_key: str) -> Any:
    """Post a mail through Mailgun's inbound route with our basic auth, as Mailgun would."""
    body, content_type = mailgun_mime_post(raw, recipient=recipient, signing_key=signing_key)
    return client.post(
        "/anymail/mailgun/inbound_mime/",
        data=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )


def simple_message(
    *,
    to: str = "support@acme.example",
    sender: str = "Customer <customer@example.org>",
    subject: str = "Help with my order",
    body: str = "Hello, my order did not arrive.",
    message_id: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@example.org>"
    for name, value in (extra_headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def postmark_payload(raw: bytes | None, *, recipient: str, message_id: str | None = None) -> str:
    payload: dict[str, object] = {
        "FromFull": {"Email": "customer@example.org", "Name": "Customer"},
        "ToFull": [{"Email": recipient, "Name": ""}],
        "OriginalRecipient": recipient,
        "Subject": "Postmark subject",
        "MessageID": message_id or str(uuid.uuid4()),
        "TextBody": "Text from Postmark's parsed fields",
        "HtmlBody": "<p>Html from Postmark</p>",
        "Headers": [
            {"Name": "Return-Path", "Value": "<bounce@sender.example>"},
            {"Name": "Message-ID", "Value": f"<{uuid.uuid4().hex}@example.org>"},
        ],
        "Attachments": [
            {
                "Name": "note.txt",
                "Content": base64.b64encode(b"attached words").decode(),
                "ContentType": "text/plain",
                "ContentLength": 14,
            }
        ],
    }
    if raw is not None:
        payload["RawEmail"] = raw.decode("utf-8")
    return json.dumps(payload)


def sendgrid_post(raw: bytes, recipient: str) -> tuple[bytes, str]:
    return multipart_body(
        {
            "email": raw,
            "envelope": json.dumps({"to": [recipient], "from": "bounce@sender.example"}),
            "spam_score": "1.5",
            "charsets": json.dumps({"email": "utf-8"}),
        }
    )


def fail_ledger_inserts(patcher: pytest.MonkeyPatch) -> None:
    """Make every INSERT into the ledger fail as it does with the database down, whichever code
    path writes it (until the patcher is undone)."""
    from django.db import OperationalError
    from django.db.backends import utils

    real = utils.CursorWrapper.execute
    table = f'INSERT INTO "{InboundEmail._meta.db_table}"'.upper()

    def execute(self: utils.CursorWrapper, sql: str, params: Any = None) -> Any:
        if sql.lstrip().upper().startswith(table):
            raise OperationalError("could not connect to server")
        return real(self, sql, params)

    patcher.setattr(utils.CursorWrapper, "execute", execute)
