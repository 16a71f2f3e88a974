"""Reading an inbound webhook's body with the inbound routes' own size limit.

Django refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) with a 400 (docs/reliability.md,
"Request bodies larger than Django's limit"), but a 30 MB message is about 41 MB of MIME and more in
JSON. Raising the global setting would lift the limit for every form of the site, and changing it
per request is not thread safe. So the inbound views read the body themselves up to
INBOUND_MAX_REQUEST_BYTES and, for multipart posts, parse the form with the standard library,
keeping each field's exact bytes (Mailgun's `body-mime` must reach the ledger byte for byte).
"""

from __future__ import annotations

from email import policy
from email.message import Message
from email.parser import BytesHeaderParser

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
    # Our own attribute: the form fields exactly as posted (anymail's parsers re-decode them).
    request.raw_form_fields = {}  # type: ignore[attr-defined]  # set on HttpRequest, read by the inbound views
    if request.method == "POST" and request.content_type == "multipart/form-data":
        post, files, raw_fields = parse_multipart_form(request.META["CONTENT_TYPE"], body)
        request._post, request._files = post, files  # type: ignore[attr-defined]  # Django's private cache of the parsed form
        request.raw_form_fields = raw_fields  # type: ignore[attr-defined]  # as above


def parse_multipart_form(
    content_type: str, body: bytes
) -> tuple[QueryDict, MultiValueDict, dict[str, bytes]]:
    """A multipart/form-data body (RFC 7578) as Django's POST and FILES, plus each field's bytes.

    Split on the boundary with bytes operations: the email package's line-by-line parser costs
    a third of a webhook request on an ordinary 50 KB message.
    """
    boundary = _boundary(content_type)
    post = QueryDict(mutable=True)
    files: MultiValueDict = MultiValueDict()
    raw_fields: dict[str, bytes] = {}
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, separator, data = part.partition(b"\r\n\r\n")
        if not separator:
            continue
        data = data.removesuffix(b"\r\n")
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(head.lstrip(b"\r\n"))
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        filename = headers.get_param("filename", header="content-disposition")
        if isinstance(filename, str):
            files.appendlist(
                name,
                SimpleUploadedFile(
                    filename,
                    data,
                    content_type=headers.get_content_type() or "application/octet-stream",
                ),
            )
            continue
        raw_fields.setdefault(name, data)
        post.appendlist(name, _decode(data, headers.get_content_charset() or "utf-8"))
    post._mutable = False
    return post, files, raw_fields


def _boundary(content_type: str) -> bytes:
    header = Message()
    header["Content-Type"] = content_type
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise ValueError("multipart/form-data without a boundary")
    return boundary.encode("latin-1")


def _decode(data: bytes, charset: str) -> str:
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")
