"""A 30 MB attachment (about 41 MB of MIME; Postmark's JSON carries it twice) stays within a memory
budget in the web request and in the worker (docs/reliability.md, "Memory for large mail").
tracemalloc counts what Python allocates, so the figure does not depend on what else the machine is
doing."""

from __future__ import annotations

import base64
import json
import os
import tracemalloc

import pytest
from django.test import Client

from inbox.inbound.pipeline import process_inbound_email
from inbox.models import InboundEmail
from tests.inbox.payloads import BASIC_AUTH, simple_message

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
ATTACHMENT = 30 * MB - 64 * 1024


def big_message() -> bytes:
    payload = base64.encodebytes(os.urandom(ATTACHMENT))
    # CRLF throughout: with the header's bare LFs the whole message read as one 41 MB text part.
    head, _, body = simple_message().replace(b"\n", b"\r\n").partition(b"\r\n\r\n")
    head = b"\r\n".join(
        line for line in head.split(b"\r\n") if not line.lower().startswith(b"content-")
    )
    return (
        head
        + b'\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        + b"--b1\r\nContent-Type: text/plain\r\n\r\n"
        + body
        + b"\r\n--b1\r\nContent-Type: application/octet-stream\r\n"
        + b'Content-Disposition: attachment; filename="big.bin"\r\n'
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + payload.replace(b"\n", b"\r\n")
        + b"--b1--\r\n"
    )


def peak_of(work) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_30_mb_postmark_mail_stays_within_the_memory_budget(
    client: Client, forwarding_address: str, settings, tmp_path, django_capture_on_commit_callbacks
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    raw = big_message()
    assert len(raw) > 40 * MB
    # Postmark's JSON holds the attachment twice: decoded in Attachments and inside RawEmail.
    body = json.dumps(
        {
            "OriginalRecipient": forwarding_address,
            "MessageID": os.urandom(8).hex(),
            "RawEmail": raw.decode(),
            "Attachments": [
                {
                    "Name": "big.bin",
                    "ContentType": "application/octet-stream",
                    "Content": base64.b64encode(os.urandom(ATTACHMENT)).decode(),
                }
            ],
        }
    ).encode()
    del raw

    def post() -> None:
        with django_capture_on_commit_callbacks(execute=False):
            response = client.post(
                "/anymail/postmark/inbound/",
                data=body,
                content_type="application/json",
                HTTP_AUTHORIZATION=BASIC_AUTH,
            )
        assert response.status_code == 200

    request_peak = peak_of(post)
    row = InboundEmail.objects.get()
    worker_peak = peak_of(lambda: process_inbound_email(row.pk))
    row.refresh_from_db()
    print(
        f"request peak {request_peak / MB:.0f} MB for a {len(body) / MB:.0f} MB post; "
        f"worker peak {worker_peak / MB:.0f} MB for {row.size / MB:.0f} MB of MIME"
    )
    assert row.status == InboundEmail.Status.ACCEPTED
    # The budget (README, "Sizing workers"): measured 4.1x the post in the request (the test
    # client's own copy included) and 3.6x the MIME in the worker, where Python's email parser
    # keeps the lines of the attachment, then its joined payload and the decoded bytes (8.7x
    # before the parser was fed in slices, inbox.inbound.parse.read_message; 6.5x while the
    # email package decoded base64 through a copy of every line, parse.decoded_payload).
    assert request_peak < 5 * len(body)
    assert worker_peak < 6 * row.size
