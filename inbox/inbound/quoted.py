"""What a message says that is new, and what it only quotes: the split the thread view uses to
fold the quoted history and a trailing signature behind a toggle.

Structure decides, in any language: ">" quote levels (in HTML, blockquote elements), an
attribution line ("On <date>, <name> <address> wrote:") over a quote that runs to the end, a
quoted header block ("-----Original Message-----", "From: ... Sent: ..."), the clients' HTML quote
containers, and the "-- " signature delimiter. A quote with answers between its parts (an inline
reply) is not folded, and neither is a message that is all quote: something always shows. The
split never changes what is stored; the caller shows `new` and folds `folded`.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass

from inbox.inbound.body_lines import (
    MARK,
    Line,
    attribution_at,
    normalized,
    quote_containers,
    split_lines,
)
from inbox.inbound.forwarded import history_start
from inbox.inbound.sanitize import sanitize

SIGNATURE_LINES = 15  # a "-- " block longer than this is not a signature


@dataclass(frozen=True)
class Split:
    new: str  # what the sender wrote: always shown
    folded: str  # quoted history and trailing signature, "" when nothing is folded


def split_text(text: str) -> Split:
    """The new part of a plain-text message and its quoted history (with the signature)."""
    text = normalized(text)
    lines = split_lines(text)
    cut = _cut(lines, text)
    raw_lines = text.split("\n")
    if cut is None:
        return Split(text, "")
    new = "\n".join(raw_lines[: lines[cut].raw]).rstrip()
    folded = "\n".join(raw_lines[lines[cut].raw :]).strip("\n")
    return Split(new, folded) if new.strip() and folded.strip() else Split(text, "")


def split_html(html: str) -> Split:
    """The same split of an HTML body (sanitized or not); both halves are sanitized again, which
    closes the elements the cut left open."""
    segments = _segments(html)
    source = "\n".join(text for _, _, text in segments)
    lines = [Line(index, depth, text) for index, (_, depth, text) in enumerate(segments)]
    cut = _cut(lines, source)
    if cut is None:
        return Split(html, "")
    offset = segments[lines[cut].raw][0]
    new, folded = sanitize(html[:offset]), sanitize(html[offset:])
    if not _visible(new) or not _visible(folded):
        return Split(html, "")
    return Split(new, folded)


def _cut(lines: list[Line], source: str) -> int | None:
    """Index of the line the folded part starts at, or None to fold nothing."""
    quote = _quote_start(lines, source)
    signature = _signature_start(lines, quote if quote is not None else len(lines))
    cut = signature if signature is not None else quote
    return cut if cut else None


def _quote_start(lines: list[Line], source: str) -> int | None:
    """The earliest of: an attribution line over a quote running to the end, a quoted header
    block, a run of quoted lines running to the end."""
    candidates = [_trailing_quote(lines), _history_block(lines, source)]
    attribution = _attribution_over_quote(lines)
    candidates.append(attribution)
    found = [index for index in candidates if index is not None]
    return min(found) if found else None


def _trailing_quote(lines: list[Line]) -> int | None:
    """The first line of a quote (">" or blockquote) that nothing unquoted follows."""
    start = None
    for index, line in enumerate(lines):
        if not line.text.strip() or line.text.startswith(MARK):
            continue
        if line.depth == 0:
            start = None
        elif start is None:
            start = index
    if start is None:
        return None
    # Take in the line introducing the quote and a marker line right above it.
    while start > 0 and lines[start - 1].text.startswith(MARK):
        start -= 1
    return start


def _history_block(lines: list[Line], source: str) -> int | None:
    start = history_start(lines, source)
    if start is None or lines[start].depth:
        return None  # a header block inside a quote belongs to that quote
    while start > 0 and lines[start - 1].text.startswith(MARK):
        start -= 1
    return start


def _attribution_over_quote(lines: list[Line]) -> int | None:
    """An attribution line ("... wrote:") whose quote, quoted or indented, runs to the end."""
    for index, line in enumerate(lines):
        if line.depth or ("@" not in line.text and not _next_has_address(lines, index)):
            continue
        found = attribution_at(lines, index)
        if found is None:
            continue
        rest = [other for other in lines[found[0] :] if other.text.strip()]
        if rest and all(other.depth or other.text[:1].isspace() for other in rest):
            while index > 0 and lines[index - 1].text.startswith(MARK):
                index -= 1
            return index
    return None


def _next_has_address(lines: list[Line], index: int) -> bool:
    return index + 1 < len(lines) and "@" in lines[index + 1].text


def _signature_start(lines: list[Line], before: int) -> int | None:
    """A "-- " signature delimiter (RFC 3676) above the quote with a short signature after it."""
    for index in range(before - 1, -1, -1):
        line = lines[index]
        if line.depth == 0 and line.text.rstrip() == "--":
            signature = [other for other in lines[index + 1 : before] if other.text.strip()]
            return index if len(signature) <= SIGNATURE_LINES else None
    return None


# Where an HTML body's lines end: block elements, line breaks, and quote levels.
_BOUNDARY = re.compile(
    r"<\s*(/?)\s*(blockquote|p|div|br|hr|table|tr|td|th|li|ul|ol|h[1-6]|pre)\b[^<>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^<>]*>")
_SPACE = re.compile(r"\s+")
MAX_HTML = 2_000_000
MAX_SEGMENTS = 5_000


def _segments(html: str) -> list[tuple[int, int, str]]:
    """(offset, blockquote depth, text) of each line of an HTML body; a quote container of a
    client (Gmail, Outlook, Thunderbird, Apple, Yahoo) and a horizontal rule give a MARK line."""
    html = html[:MAX_HTML]
    containers = dict(quote_containers(html))
    segments: list[tuple[int, int, str]] = []
    depth, start = 0, 0
    for match in _BOUNDARY.finditer(html):
        if len(segments) >= MAX_SEGMENTS:
            break
        segments.append((start, depth, _text(html[start : match.start()])))
        closing, name = match.group(1), match.group(2).lower()
        if name == "blockquote":
            depth = max(depth - 1, 0) if closing else depth + 1
        if match.start() in containers or (name == "hr" and not closing):
            segments.append((match.start(), depth, MARK))
        start = match.start() if not closing else match.end()
    segments.append((start, depth, _text(html[start:])))
    return segments


def _text(fragment: str) -> str:
    text = html_lib.unescape(_TAG.sub("", fragment)).replace("\xa0", " ")
    return _SPACE.sub(" ", text).strip()


def _visible(html: str) -> bool:
    return bool(_text(html)) or "<img" in html.lower()
