"""Stage 1: raw bytes -> ParsedEmail. Never raises on hostile input: problems become `malformed`.

Parsing uses the compat32 policy (strings in, strings out), which is several times faster than
policy.default and never raises when a header is read (docs/reliability.md, "Bad input"); we decode
encoded words and addresses ourselves, tolerantly.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from email import errors
from email.feedparser import BytesFeedParser
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses

MAX_SUBJECT = 998
MAX_DEPTH = (
    50  # docs/reliability.md, "Deeply nested MIME": deep nesting is refused, not recursed into.
)
MAX_HEADERS = 1000  # docs/reliability.md, "Too many header fields"
MAX_PARTS = 500
EMBEDDED_TYPES = frozenset({"message/rfc822", "message/global", "message/news"})
CONTROL_PREFIX = "x-helpdesk-"  # docs/reliability.md, "Control headers a sender writes"

_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]+")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+$")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_AFTER_ANGLE = re.compile(r">[^,<]*@")
_LOOSE_ADDRESS = re.compile(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)*")


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    payload: bytes
    content_id: str = ""
    is_inline: bool = False


@dataclass(frozen=True)
class EmbeddedMessage:
    """A message/rfc822 part (a forward as attachment), reduced to what attribution needs."""

    from_name: str
    from_email: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class ParsedEmail:
    headers: dict[str, list[str]]  # lower-cased names, values unfolded, X-Helpdesk-* removed
    from_name: str = ""
    from_email: str = ""
    from_addresses: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()
    to: str = ""
    cc: str = ""
    subject: str = ""
    message_id: str = ""
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    text: str = ""
    html: str = ""
    attachments: tuple[ParsedAttachment, ...] = ()
    embedded: tuple[EmbeddedMessage, ...] = ()
    content_type: str = "text/plain"
    report_texts: tuple[str, ...] = ()  # text of delivery-status / returned-headers parts
    # The message's size as people count it ("30 MB, including attachments"): every part's
    # decoded content plus the header fields, without the transfer encoding's overhead.
    decoded_size: int = 0
    defects: tuple[str, ...] = ()
    malformed: str = ""  # why this cannot be processed, in words ("" when it can)

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""

    def header_all(self, name: str) -> list[str]:
        return self.headers.get(name.lower(), [])


def parse(raw: bytes) -> ParsedEmail:
    """Parse raw MIME; anything that cannot be read yields a ParsedEmail with `malformed` set."""
    try:
        # Blank lines before the first header (mbox exports, some relays) would turn every header
        # into body text; a byte-order mark or binary junk is still refused as malformed.
        raw = _without_banner(raw.lstrip(b"\r\n\t "))
        message = read_message(raw)
        if not message.get("from") and _header_section_broken(message):
            message = _with_refolded_headers(raw) or message
        return _from_message(message)
    except (RecursionError, MemoryError):
        return ParsedEmail(headers={}, malformed="The message is nested too deeply to read.")
    except Exception as error:  # the parse boundary: hostile input must not crash the worker
        return ParsedEmail(headers={}, malformed=f"The message could not be read ({error!r:.200}).")


FEED_CHUNK_BYTES = 1024 * 1024


def read_message(raw: bytes) -> Message:
    """email.message_from_bytes, with long runs of base64 lines set aside while it parses.

    The email package reads a message line by line in Python: a 500 KB attachment is 6,600 lines
    and cost 9 ms, against about 1 ms for one regular expression to find them. Such a run can
    never hold a MIME boundary or a header (it has no "-" and no ":"), so the parser is given the
    message with each run replaced by one marker line, and the run is put back into the part it
    landed in: the same tree, payloads and defects (docs/reliability.md, "Memory for large mail").
    Anything unexpected (a marker not found exactly once) parses the whole message instead.
    """
    if len(raw) < SKELETON_MIN_BYTES:
        return _parse_whole(raw)
    runs = [found.span() for found in _BASE64_RUN.finditer(raw)]
    if not runs:
        return _parse_whole(raw)
    marker = _marker_for(raw)
    view = memoryview(raw)
    pieces: list[bytes | memoryview] = []
    start = 0
    for number, (begin, end) in enumerate(runs):
        # The run's last line break stays: the parser gives it to a boundary as it would have.
        end = end - (2 if raw[end - 2 : end] == b"\r\n" else 1)
        runs[number] = (begin, end)
        pieces += [view[start:begin], b"%s%d_" % (marker, number)]
        start = end
    pieces.append(view[start:])
    message = _parse_whole(b"".join(pieces))

    def run_text(number: int) -> str:
        return str(view[runs[number][0] : runs[number][1]], "ascii")

    if _put_back(message, marker.decode(), run_text, len(runs)):
        return message
    return _parse_whole(raw)


def _parse_whole(raw: bytes) -> Message:
    """The email package's parser, fed in 1 MB slices (it is incremental and handles a line or
    CRLF cut between slices). Fed whole, it holds the message as one decoded string and every line
    of it at once: 317 MB for 41 MB of MIME against 114 MB this way (docs/reliability.md, "Memory
    for large mail")."""
    parser = BytesFeedParser()
    view = memoryview(raw)
    for start in range(0, len(raw), FEED_CHUNK_BYTES):
        parser.feed(bytes(view[start : start + FEED_CHUNK_BYTES]))
    return parser.close()


# Below this a message is parsed whole: a small one has no run worth setting aside.
SKELETON_MIN_BYTES = 32 * 1024
# 32 or more lines of base64 only (an attachment's body), each starting a line.
_BASE64_RUN = re.compile(rb"(?<=\n)(?:[A-Za-z0-9+/=]{16,998}\r?\n){32,}")


def _marker_for(raw: bytes) -> bytes:
    """A marker prefix that appears nowhere in the message (so a sender cannot forge one)."""
    marker = b"HelpdeskSetAside"
    while marker in raw:
        marker += b"X"
    return b"_" + marker


def _put_back(message: Message, marker: str, run_text: Callable[[int], str], expected: int) -> bool:
    """Replace every marker in the parsed tree's payloads, preambles and epilogues by its run;
    True when each was found there exactly once (not, say, in a header field)."""
    found: list[int] = []
    pattern = re.compile(re.escape(marker) + r"(\d+)_")

    def restore(text: str) -> str:
        if marker not in text:
            return text

        def run(match: re.Match[str]) -> str:
            number = int(match.group(1))
            found.append(number)
            return run_text(number) if number < expected else match.group(0)

        return pattern.sub(run, text)

    stack = [message]
    while stack:
        part = stack.pop()
        for attribute in ("preamble", "epilogue"):
            value = getattr(part, attribute, None)
            if isinstance(value, str):
                setattr(part, attribute, restore(value))
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(child for child in payload if isinstance(child, Message))
        elif isinstance(payload, str) and marker in payload:
            part.set_payload(restore(payload))
    return sorted(found) == list(range(expected))


# A dashed banner line put in front of the headers ("---- Original email message ----", written
# by some gateways and mail servers' "forward as text"): without it the headers are readable.
_BANNER_THEN_HEADER = re.compile(rb"\A-{2,}[^\r\n:]{1,80}-{2,}[ \t]*\r?\n(?=[!-9;-~]{1,76}:)")


def _without_banner(raw: bytes) -> bytes:
    banner = _BANNER_THEN_HEADER.match(raw[:200])
    return raw[banner.end() :] if banner else raw


_HEADER_LINE = re.compile(rb"[!-9;-~]{1,76}:")
_HEADER_SECTION_END = re.compile(rb"\r?\n\r?\n")


def _with_refolded_headers(raw: bytes) -> Message | None:
    """The message read again with its stray header lines taken as continuations.

    Some servers unfold a long header onto lines without the leading space (a Received header's
    "by host with ESMTP" on a line of its own); a strict parser then ends the headers there and
    the From, Subject and Content-Type below become body text. Used only when the first reading
    found no sender because of that defect, and only if the second reading is clean and has one.
    """
    end = _HEADER_SECTION_END.search(raw, 0, 256 * 1024)
    if end is None:
        return None
    lines = raw[: end.start()].split(b"\n")
    refolded = [
        line if index == 0 or line[:1] in b" \t" or _HEADER_LINE.match(line) else b" " + line
        for index, line in enumerate(lines)
    ]
    message = read_message(b"\n".join(refolded) + raw[end.start() :])
    return None if _header_section_broken(message) or not message.get("from") else message


def _header_section_broken(message: Message) -> bool:
    return any(isinstance(d, errors.MissingHeaderBodySeparatorDefect) for d in message.defects)


def _from_message(message: Message) -> ParsedEmail:
    items = list(message.raw_items())
    if len(items) > MAX_HEADERS:
        return ParsedEmail(headers={}, malformed=f"The message has {len(items)} header fields.")
    headers: dict[str, list[str]] = {}
    for name, value in items:
        key = name.strip().lower()
        if key.startswith(CONTROL_PREFIX):
            continue
        headers.setdefault(key, []).append(_unfold(value))
    defects = [type(defect).__name__ for defect in message.defects]
    from_values = headers.get("from", [])
    from_pairs = addresses(", ".join(from_values)) if from_values else []
    if not from_pairs:
        # No From: the sender mailbox (RFC 5322 Sender) or, failing that, Reply-To.
        from_pairs = addresses(_first(headers, "sender") or _first(headers, "reply-to"))
    if not headers:
        reason = "The message has no header fields."
        return ParsedEmail(headers=headers, defects=tuple(defects), malformed=reason)
    body = _Body()
    depth_error = body.walk(message)
    if depth_error:
        return ParsedEmail(headers=headers, defects=tuple(defects), malformed=depth_error)
    from_name, from_email = from_pairs[0] if from_pairs else ("", "")
    return ParsedEmail(
        headers=headers,
        from_name=from_name,
        from_email=from_email,
        from_addresses=tuple(address for _, address in from_pairs),
        reply_to=tuple(address for _, address in addresses(_first(headers, "reply-to"))),
        to=decode(_first(headers, "to"))[:2000],
        cc=decode(_first(headers, "cc"))[:2000],
        subject=decode(_first(headers, "subject"))[:MAX_SUBJECT],
        message_id=_first_message_id(_first(headers, "message-id")),
        in_reply_to=tuple(_MESSAGE_ID.findall(_first(headers, "in-reply-to")))[:50],
        references=tuple(_MESSAGE_ID.findall(" ".join(headers.get("references", []))))[-100:],
        text=body.text,
        html=body.html,
        attachments=tuple(body.attachments),
        embedded=tuple(body.embedded),
        content_type=_text(message.get_content_type()),
        report_texts=tuple(body.report_texts),
        decoded_size=body.size,
        defects=tuple(defects + body.defects),
    )


def _first(headers: dict[str, list[str]], name: str) -> str:
    values = headers.get(name)
    return values[0] if values else ""


def _first_message_id(value: str) -> str:
    found = _MESSAGE_ID.search(value)
    if found:
        return found.group(0)[:998]
    value = value.strip()
    return f"<{value}>"[:998] if value and " " not in value else ""


def _unfold(value: object) -> str:
    if not isinstance(value, str):  # compat32 hands back Header objects for undecodable bytes
        try:
            value = str(value)
        except (LookupError, ValueError, UnicodeError):
            return ""
    return _text(re.sub(r"\r?\n[ \t]*", " ", value).strip())


def _text(value: str) -> str:
    """Storable text: raw 8-bit bytes (surrogate escapes) decoded as UTF-8, no NUL characters."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value.replace("\x00", "")


def decode(value: str) -> str:
    """Decode RFC 2047 encoded words leniently; strip control characters (docs/reliability.md,
    "Control characters in headers")."""
    if not value:
        return ""
    value = _text(value)  # raw 8-bit bytes in a header arrive as surrogate escapes
    if "=?" in value:
        with suppress(LookupError, ValueError, UnicodeError, AssertionError, TypeError):
            value = str(make_header(decode_header(value)))
    return _CONTROLS.sub(" ", value).strip()


def addresses(value: str) -> list[tuple[str, str]]:
    """(display name, lower-case address) pairs from an address header, invalid ones dropped."""
    if not value:
        return []
    value = _CONTROLS.sub(" ", value)
    unquoted = _QUOTED.sub('""', value)
    if _AFTER_ANGLE.search(unquoted):
        # '"a@b" <a@b>@evil' reads as a@b to a lenient parser but is not an address at all
        # (CVE-2023-27043; this Python lacks getaddresses(strict=True)).
        return []
    try:
        pairs = getaddresses([value])
    except (ValueError, TypeError, IndexError):
        return []
    result = []
    for name, address in pairs:
        address = address.strip().lower()
        if _ADDRESS.match(address):
            result.append((decode(name).strip().strip('"').strip(), address))
    if not result:
        # Unquoted junk like "Big Bug bb@bug.com" or "a@x b@y": salvage the bare addresses.
        result = [("", found.lower()) for found in _LOOSE_ADDRESS.findall(unquoted)]
    return result


def payload_text(part: Message, payload: object = None) -> str:
    """A text part's content as str, whatever its charset claims (never LookupError:
    docs/reliability.md, "Unknown charsets and broken encodings"). `payload` is the part's decoded
    payload when the caller has it already."""
    if payload is None:
        payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace").replace("\x00", "")
    except (LookupError, ValueError):
        return payload.decode("utf-8", "replace").replace("\x00", "")


@dataclass
class _Body:
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    embedded: list[EmbeddedMessage] = field(default_factory=list)
    report_texts: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    size: int = (
        0  # decoded content plus header fields of every part seen (ParsedEmail.decoded_size)
    )

    def walk(self, root: Message) -> str:
        """Visit parts iteratively (no recursion, so nesting depth cannot blow the stack)."""
        stack: list[tuple[Message, int]] = [(root, 0)]
        seen = 0
        while stack:
            part, depth = stack.pop()
            seen += 1
            if depth > MAX_DEPTH:
                return f"The message is nested more than {MAX_DEPTH} levels deep."
            if seen > MAX_PARTS:
                return f"The message has more than {MAX_PARTS} parts."
            if part is not root:
                self.defects.extend(type(defect).__name__ for defect in part.defects)
            self.size += header_bytes(part)
            content_type = part.get_content_type()
            if content_type in EMBEDDED_TYPES and part is not root:
                self._embedded(part, depth, stack)
                continue
            if part.is_multipart():
                children = part.get_payload()
                if isinstance(children, list):
                    stack.extend(
                        (child, depth + 1)
                        for child in reversed(children)
                        if isinstance(child, Message)
                    )
                continue
            self._leaf(part, content_type)
        return ""

    def _embedded(self, part: Message, depth: int, stack: list[tuple[Message, int]]) -> None:
        inner = part.get_payload()
        if isinstance(inner, str) and part.get_content_type() != "message/rfc822":
            # compat32 only parses message/rfc822 as a message; message/global and message/news
            # (RFC 6532, old Netscape forwards) hold one too.
            inner = [read_message(inner.encode("utf-8", "surrogateescape"))]
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            message = inner[0]
            pairs = addresses(str(message.get("From", "") or ""))
            inner_body = _Body()
            unreadable = inner_body.walk(message)
            self.size += inner_body.size
            if unreadable:
                inner_body = _Body()  # unreadable inside: keep who sent it, not its body
            if pairs:
                self.embedded.append(
                    EmbeddedMessage(
                        from_name=pairs[0][0],
                        from_email=pairs[0][1],
                        subject=decode(_unfold(message.get("Subject", "") or ""))[:MAX_SUBJECT],
                        text=inner_body.text,
                        html=inner_body.html,
                    )
                )
                self.attachments.extend(inner_body.attachments)
                return
        payload = part.as_bytes() if not isinstance(inner, str) else inner.encode()
        if not (isinstance(inner, list) and inner and isinstance(inner[0], Message)):
            self.size += len(payload)  # not walked above: counted as the bytes it is kept as
        self.attachments.append(ParsedAttachment("forwarded.eml", "message/rfc822", payload))

    def _leaf(self, part: Message, content_type: str) -> None:
        disposition = _unfold(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
        filename = decode(_unfold(part.get_filename("") or ""))
        payload = decoded_payload(part)  # decoded once: measured, then kept or read
        if isinstance(payload, bytes):
            self.size += len(payload)
        if content_type in {"message/delivery-status", "text/rfc822-headers"}:
            self.report_texts.append(payload_text(part, payload) or str(part.get_payload()))
            return
        is_body = disposition != "attachment" and not filename
        if is_body and content_type == "text/plain" and not self.text:
            self.text = payload_text(part, payload)
            return
        if is_body and content_type == "text/html" and not self.html:
            self.html = payload_text(part, payload)
            return
        if not isinstance(payload, bytes):
            return
        content_id = _unfold(part.get("Content-ID", "")).strip().strip("<>")
        self.attachments.append(
            ParsedAttachment(
                filename=(filename or _default_name(content_type))[:255],
                content_type=_text(content_type)[:255],
                payload=payload,
                content_id=content_id[:255],
                is_inline=disposition == "inline"
                or bool(content_id and disposition != "attachment"),
            )
        )


def decoded_payload(part: Message) -> object:
    """`part.get_payload(decode=True)`, with base64 decoded in one step from the parsed text.

    The email package encodes the text to bytes, splits it into lines and joins them again
    before decoding: for a 30 MB attachment that is 185 MB at once, against 30 MB here
    (docs/reliability.md, "Memory for large mail"). Anything binascii refuses (bad padding,
    8-bit junk) goes the email package's lenient way, which records the defect.
    """
    if _unfold(part.get("Content-Transfer-Encoding", "")).lower() == "base64":
        text = part.get_payload()
        if isinstance(text, str):
            with suppress(binascii.Error, ValueError):
                return binascii.a2b_base64(text)
    return part.get_payload(decode=True)


def header_bytes(part: Message) -> int:
    """The size of a part's header fields as written: "Name: value" and CRLF for each."""
    return sum(
        len(name) + 2 + (len(value) if isinstance(value, str) else 0) + 2
        for name, value in part.raw_items()
    )


def _default_name(content_type: str) -> str:
    return "attachment." + (content_type.split("/")[-1][:10] or "bin")
