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
    line_offset,
    normalized,
    quote_containers,
    split_lines,
)
from inbox.inbound.forwarded import history_start

SIGNATURE_LINES = 15  # a "-- " block longer than this is not a signature
MAX_ATTRIBUTIONS = 64  # attribution-like lines examined, however long the text


@dataclass(frozen=True)
class Split:
    new: str  # what the sender wrote: always shown
    folded: str  # quoted history and trailing signature, "" when nothing is folded


def split_text(text: str) -> Split:
    """The new part of a plain-text message and its quoted history (with the signature)."""
    whole = text.replace("\r\n", "\n").replace("\r", "\n")
    scanned = normalized(whole)
    cut = _cut(split_lines(scanned), scanned)
    if cut is None:
        return Split(text, "")
    offset = line_offset(whole, cut)
    new, folded = whole[:offset].rstrip(), whole[offset:].strip("\n")
    return Split(new, folded) if new.strip() and folded.strip() else Split(text, "")


def split_html(html: str) -> Split:
    """The same split of an HTML body (sanitized: it is cut between tags and each half has its
    open elements closed, nothing more; the renderer sanitizes what it shows)."""
    segments = _segments(html)
    source = "\n".join(text for _, _, text in segments)
    lines = [Line(index, depth, text) for index, (_, depth, text) in enumerate(segments)]
    cut = _cut(lines, source)
    if cut is None:
        return Split(html, "")
    offset = segments[cut][0]
    new, folded = balanced(html[:offset]), balanced(html[offset:])
    if not _visible(new) or not _visible(folded):
        return Split(html, "")
    return Split(new, folded)


def _cut(lines: list[Line], source: str) -> int | None:
    """The source line the folded part starts at, or None to fold nothing. A signature under
    the quote goes with it; one between the new text and the quote starts the fold."""
    end = _trailing_signature(lines)
    quote = _quote_start(lines[:end], source)
    if quote is None:
        return lines[end].raw if 0 < end < len(lines) else None
    above = _signature_start(lines, quote)
    cut = above if above is not None else quote
    return lines[cut].raw if cut else None


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
    return _with_container(lines, start)


def _history_block(lines: list[Line], source: str) -> int | None:
    start = history_start(lines, source)
    if start is None or lines[start].depth:
        return None  # a header block inside a quote belongs to that quote
    return _with_container(lines, start)


def _attribution_over_quote(lines: list[Line]) -> int | None:
    """An attribution line ("... wrote:") whose quote, quoted or indented, runs to the end."""
    quoted_from = _quoted_to_the_end(lines)
    tries = 0
    for index, line in enumerate(lines):
        if line.depth or ("@" not in line.text and not _next_has_address(lines, index)):
            continue
        tries += 1
        if tries > MAX_ATTRIBUTIONS:
            return None
        found = attribution_at(lines, index)
        if found is not None and quoted_from[found[0]]:
            return _with_container(lines, index)
    return None


def _quoted_to_the_end(lines: list[Line]) -> list[bool]:
    """For each index: whether the lines from there on hold a quote (">" or indented) and no
    unquoted line; one pass from the end."""
    result = [False] * (len(lines) + 1)
    seen_quote, unquoted = False, False
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if line.text.strip() and not line.text.startswith(MARK):
            if line.depth or line.text[:1].isspace():
                seen_quote = True
            else:
                unquoted = True
        result[index] = seen_quote and not unquoted
    return result


def _with_container(lines: list[Line], start: int) -> int:
    """`start`, or the quote container (MARK line) just above it, blank lines between."""
    above = start - 1
    while above >= 0 and not lines[above].text.strip():
        above -= 1
    return above if above >= 0 and lines[above].text.startswith(MARK) else start


def _next_has_address(lines: list[Line], index: int) -> bool:
    return index + 1 < len(lines) and "@" in lines[index + 1].text


def _signature_start(lines: list[Line], before: int) -> int | None:
    """A "-- " signature delimiter (RFC 3676) above line `before`, a short signature after it."""
    for index in range(before - 1, -1, -1):
        if lines[index].depth == 0 and lines[index].text.rstrip() == "--":
            signature = [other for other in lines[index + 1 : before] if other.text.strip()]
            return index if len(signature) <= SIGNATURE_LINES else None
    return None


def _trailing_signature(lines: list[Line]) -> int:
    """Where a signature ending the message starts (its "-- " line), else len(lines)."""
    start = _signature_start(lines, len(lines))
    if start is None or any(line.depth for line in lines[start:]):
        return len(lines)
    return start


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


_ELEMENT = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


def balanced(fragment: str) -> str:
    """A piece of HTML cut out of a whole with its elements closed: closing tags whose element
    opened before the cut are dropped, and elements left open are closed at the end."""
    kept, open_names, position = [], list[str](), 0
    for tag in _ELEMENT.finditer(fragment):
        closing, name = tag.group(1), tag.group(2).lower()
        if name in _VOID or tag.group().endswith("/>"):
            continue
        if not closing:
            open_names.append(name)
        elif name in open_names:
            while open_names and open_names.pop() != name:
                pass
        else:
            kept.append(fragment[position : tag.start()])
            position = tag.end()
    kept.append(fragment[position:])
    kept += [f"</{name}>" for name in reversed(open_names)]
    return "".join(kept)
