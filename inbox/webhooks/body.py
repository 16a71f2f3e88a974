"""Reading an inbound webhook's body with the inbound routes' own size limit.

Django refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) with a 400 (RELIABILITY 6), but a
30 MB message is about 41 MB of MIME and more in JSON. Raising the global setting would lift the
limit for every form of the site, and changing it per request is not thread safe. So the inbound
views read the body themselves up to INBOUND_MAX_REQUEST_BYTES and, for multipart posts, parse
the form with the standard library, keeping each field's exact bytes (Mailgun's `body-mime`
must reach the ledger byte for byte).
"""

from __future__ import annotations

from email import policy
from email.message import Message
from email.parser import BytesParser

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict


class RequestTooLarge(Exception):
    """The body is larger than anything an ESP sends for a message we could accept."""


def read_inbound_body(request: HttpRequest) -> None:
    """Load `request.body` (and POST/FILES for multipart) within INBOUND_MAX_REQUEST_BYTES.

    Sets `request.raw_form_fields` to {field name: bytes} for multipart forms.
    """
    limit = settings.INBOUND_MAX_REQUEST_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise RequestTooLarge(f"{length} bytes")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge(f"more than {limit} bytes")
    # HttpRequest.body returns _body when set, without its own size check.
    request._body = body
    request.raw_form_fields = {}  # type: ignore[attr-defined]
    if request.method == "POST" and request.content_type == "multipart/form-data":
        post, files, raw_fields = parse_multipart_form(request.META["CONTENT_TYPE"], body)
        request._post, request._files = post, files  # type: ignore[attr-defined]
        request.raw_form_fields = raw_fields  # type: ignore[attr-defined]


def parse_multipart_form(
    content_type: str, body: bytes
) -> tuple[QueryDict, MultiValueDict, dict[str, bytes]]:
    """A multipart/form-data body as Django's POST and FILES, plus each field's raw bytes."""
    envelope = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    form = BytesParser(policy=policy.HTTP).parsebytes(envelope + body)
    post = QueryDict(mutable=True)
    files: MultiValueDict = MultiValueDict()
    raw_fields: dict[str, bytes] = {}
    parts = form.get_payload() if form.is_multipart() else []
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = _part_bytes(part)
        filename = part.get_filename()
        if filename is not None:
            files.appendlist(
                name,
                SimpleUploadedFile(
                    filename,
                    data,
                    content_type=part.get_content_type() or "application/octet-stream",
                ),
            )
            continue
        raw_fields.setdefault(name, data)
        charset = part.get_content_charset() or "utf-8"
        try:
            post.appendlist(name, data.decode(charset, errors="replace"))
        except LookupError:
            post.appendlist(name, data.decode("utf-8", errors="replace"))
    post._mutable = False
    return post, files, raw_fields


def _part_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""
