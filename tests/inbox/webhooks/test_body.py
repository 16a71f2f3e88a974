"""The inbound routes' own multipart reader keeps each field's exact bytes."""

from __future__ import annotations

import pytest

from inbox.webhooks.body import parse_multipart_form
from tests.inbox.payloads import multipart_body


def test_fields_keep_their_exact_bytes_and_decode_for_post() -> None:
    raw = b"From: a@example.org\r\nSubject: caf\xe9 latin-1\r\n\r\n\x00\xff binary\r\n--not-a-boundary\r\n"
    body, content_type = multipart_body({"recipient": "team@x.example", "body-mime": raw})
    post, files, raw_fields = parse_multipart_form(content_type, body)
    assert raw_fields["body-mime"] == raw
    assert post["recipient"] == "team@x.example"
    assert "\ufffd" in post["body-mime"]  # not UTF-8: replaced in the decoded form only
    assert not files


def test_file_parts_become_uploaded_files() -> None:
    boundary = "xyz"
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="attachment-1"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nfile words\r\n--xyz--\r\n"
    )
    post, files, _ = parse_multipart_form(f"multipart/form-data; boundary={boundary}", body)
    upload = files["attachment-1"]
    assert (upload.name, upload.read(), upload.content_type) == (
        "a.txt",
        b"file words",
        "text/plain",
    )
    assert not post


def test_a_form_without_a_boundary_is_refused() -> None:
    with pytest.raises(ValueError, match="boundary"):
        parse_multipart_form("multipart/form-data", b"")
