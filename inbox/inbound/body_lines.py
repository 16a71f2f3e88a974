"""A mail body as lines, and the shapes a line can have: a quote prefix, a "label: value"
header line (also several run together on one line), a separator, an attribution line ("On
<date>, <name> <address> wrote:"), the addresses in a value, a date. Shared by the forward
detector (forwarded.py) and the quoted-history splitter (quoted.py); pure, and linear in the
size of the text: no pattern here can backtrack badly, and every scan has a bound.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import islice
from typing import NamedTuple

from helpdesk.html_text import html_to_text

MAX_TEXT = 1_000_000  # of a body, what a forwarded message's text is taken from
# Where a forwarded header block or a reply's quote may start: a person's note above it is
# never this long. Whatever the size of the mail, at most this much is scanned line by line.
MAX_SCAN = 256_000
MAX_LINES = 2_000
MAX_LINE = 4_000  # a longer line is body text, and only its start is looked at
MAX_GLUE_TRIES = 200  # lines looked at for labels glued together, per text
MAX_GLUED = 20  # lines split at glued labels, per text
MAX_GLUED_LINE = 2_000
MARK = "\ue000"  # starts a line standing for an HTML quote container (never in converted text)
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u0900-\u0903"
    "\u093a-\u094f\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u3099\u309a"
)
_WORD = rf"\(?[^\W\d_](?:[^\W\d_]|[{_MARKS}'\u2019.\-]){{0,30}}\)?"
_LABEL_LINE = re.compile(
    rf"[ \t]*[*_]{{0,2}}(?P<label>{_WORD}(?:[ \u00a0]{_WORD}){{0,3}})[*_]{{0,2}}"
    r"(?:[ \u00a0\u202f]?:[*_]{0,2}(?=[ \t\u00a0]|$)|[ \u00a0]?\uff1a[*_]{0,2})(?P<value>.*)"
)
_SEPARATOR_CHARS = "-_=*~"
# Possessive runs that stop at "@" (or start only where a run starts): linear however many "@"s.
_MAILTO = re.compile(r"mailto:([^\s\]>\"'):@]++@[^\s\]>\"')]+)", re.IGNORECASE)
_ANGLE = re.compile(r"[<(\[]\s*+([^<>()\[\]\s@]++@[^<>()\[\]\s]+?)\s*[>)\]]")
_BARE = re.compile(r"(?<![\w.+'=-])[\w.+'=-]++@[\w-]++(?:\.[\w-]++)+")
_TIME = re.compile(r"\d{1,2}[:.]\d\d")
_NUMERIC_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_LETTER = re.compile(r"[^\W\d_]")


class Line(NamedTuple):
    raw: int  # index of the source line
    depth: int  # quote levels (">")
    text: str  # without the quote prefix


def normalized(text: str) -> str:
    """`text` cut to MAX_TEXT, its line ends made "\\n"."""
    return text[:MAX_TEXT].replace("\r\n", "\n").replace("\r", "\n")


def split_lines(text: str) -> list[Line]:
    """The lines of normalized text, quote prefixes taken off, glued header lines split."""
    lines: list[Line] = []
    glue_tries, glued = 0, 0
    for index, raw in enumerate(islice(text[:MAX_SCAN].split("\n", MAX_LINES), MAX_LINES)):
        depth, content = quote_level(raw[:MAX_LINE])
        if glue_tries < MAX_GLUE_TRIES and glued < MAX_GLUED and "@" in content and ":" in content:
            glue_tries += 1
            if _GLUED_HINT.search(content, 0, MAX_GLUED_LINE):
                glued += 1
                lines.extend(Line(index, depth, part) for part in unglue(content))
                continue
        lines.append(Line(index, depth, content.rstrip()))
    return lines


def quote_level(line: str) -> tuple[int, str]:
    """(quote depth, text after the quote prefix) of a line: "> > Hi" is (2, "Hi")."""
    rest = line.lstrip(" \t>")
    last = line.rfind(">", 0, len(line) - len(rest))
    if last < 0:
        return 0, line
    content = line[last + 1 :]
    return line.count(">", 0, last + 1), content[1:] if content[:1] in (" ", "\t") else content


_GLUED_LABEL = re.compile(
    rf"(?P<label>{_WORD}(?:[ \u00a0]{_WORD}){{0,3}})(?:[ \u00a0]?:(?=[ \t])|[ \u00a0]?\uff1a)"
)
# A label run on right after the end of a value: an address's ">", a quote, a digit.
_GLUED_HINT = re.compile(
    r"[>\"\d][^\W\d_][^\s:]{0,30}(?:[ \u00a0][^\s:]{1,30}){0,3}[ \u00a0]?[:\uff1a]"
)
_CLOSING_RUN = re.compile(r"[-_=*]{3,}+[ \t]*+(?=\S)")


def unglue(line: str) -> list[str]:
    """A header block run together on one line (Yahoo: `From: A <a@x>To: b@y Sent: ...`), split
    at its labels; any other line unchanged (as a one-item list).

    A label counts as glued when it follows the end of a value without a space: an address's
    ">", a quote, a digit, or a letter in another case ("...GMT+1Subject:", "...CETTárgy:").
    """
    cut = _after_leading_separator(line)
    head, rest = line[:cut], line[cut:MAX_GLUED_LINE]
    cuts = [cut for cut in map(_glued_start, _GLUED_LABEL.finditer(rest)) if cut > 0]
    if len(cuts) < 2:
        return [line.rstrip()]
    parts = [
        rest[start:end].strip() for start, end in zip([0, *cuts], [*cuts, len(rest)], strict=True)
    ]
    return [part for part in [head.strip(), *parts] if part]


def _after_leading_separator(line: str) -> int:
    """Where the text after a leading "----- Forwarded Message -----" starts, or 0."""
    stripped = line.lstrip(" \t")
    lead = len(stripped) - len(stripped.lstrip("-_=*"))
    if lead < 3:
        return 0
    offset = len(line) - len(stripped) + lead
    closing = _CLOSING_RUN.search(line, offset, offset + 100)
    return closing.end() if closing else 0


def _glued_start(match: re.Match[str]) -> int:
    """Where the glued label of `match` starts in its line, or -1 when it is not glued."""
    start, label = match.start(), match.group("label")
    before = match.string[start - 1] if start else ""
    if before and (before in '>")]' or before.isdigit()):
        return start
    # Glued to letters ("...CETTárgy:", "...purusSubject:", "...a@x.example件名:"): it starts
    # at the last change of case, else of script.
    for offset in range(len(label) - 1, 0, -1):
        here, previous, following = label[offset], label[offset - 1], label[offset + 1 : offset + 2]
        if here.isupper() and previous.isalpha() and (previous.islower() or following.islower()):
            return start + offset
    for offset in range(len(label) - 1, 0, -1):
        here, previous = label[offset], label[offset - 1]
        if here.isalpha() and previous.isalpha() and _script(here) != _script(previous):
            return start + offset
    return -1


def _script(character: str) -> str:
    return unicodedata.name(character, "").split(" ", 1)[0]  # LATIN, CYRILLIC, CJK, ARABIC...


def label_and_value(text: str) -> tuple[str, str] | None:
    """("label", "value") of a "Label: value" line, or None."""
    match = _LABEL_LINE.match(text)
    if match is None:
        return None
    label = " ".join(match.group("label").split())
    return label, match.group("value").strip(" \t\u00a0*_")


def addresses_in(value: str) -> list[str]:
    """The addresses named in a header value (mailto: targets first, as Outlook writes them)."""
    value = value[:1000]
    found = [match.group(1) for match in _MAILTO.finditer(value)]
    found += [match.group(1) for match in _ANGLE.finditer(value)]
    found += [match.group(0) for match in _BARE.finditer(value)]
    return list(dict.fromkeys(address.strip(".").lower() for address in found))


def is_date_like(value: str) -> bool:
    """A value that reads as a date in any language: a time, a numeric date, or a year next to
    words (month or weekday names)."""
    value = value[:200]
    if _TIME.search(value) or _NUMERIC_DATE.search(value):
        return True
    return bool(_YEAR.search(value)) and bool(_LETTER.search(value))


def separator_words(text: str) -> str | None:
    """The words of a separator line ("----- Original Message -----", "______"), or None."""
    text = text.strip()
    if not 3 <= len(text) <= 120 or "@" in text:
        return None
    lead = len(text) - len(text.lstrip(_SEPARATOR_CHARS))
    trail = len(text) - len(text.rstrip(_SEPARATOR_CHARS + ":\uff1a "))
    if max(lead, trail) < 3:
        return None
    words = text.strip(_SEPARATOR_CHARS + ":\uff1a \t")
    return words if len(words.split()) <= 10 else None


def line_offset(text: str, line: int) -> int:
    """Where line number `line` of `text` starts (its length when there are fewer lines)."""
    offset = 0
    for _ in range(line):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


def unquoted(text: str, depth: int) -> str:
    """`text` with `depth` quote levels taken off each line and MARK lines left out."""
    if depth:
        prefix = re.compile(rf"^(?:[ \t]*+>){{1,{depth}}}[ \t]?", re.MULTILINE)
        text = prefix.sub("", text)
    return without_marks(text).strip("\n")


_MARK_LINE = re.compile(f"^{MARK}[^\n]*\n?", re.MULTILINE)


def without_marks(text: str) -> str:
    """`text` without the MARK lines that stand for HTML quote containers."""
    return _MARK_LINE.sub("", text) if MARK in text else text


def attribution_at(lines: list[Line], index: int) -> tuple[int, str, str] | None:
    """(index after it, name, address) when an attribution line starts at `index`: "On <date>,
    <name> <address> wrote:" in any language and word order (one address, a date's digits, a
    final colon), its last words perhaps wrapped onto the next line or two."""
    first = lines[index].text.strip()
    if not first or len(first) > 300 or first.startswith(MARK):
        return None
    joined, end = first, index + 1
    while not joined.endswith((":", "\uff1a")) and end < min(index + 3, len(lines)):
        following = lines[end].text.strip()
        if lines[end].depth != lines[index].depth or not following or len(following) > 100:
            return None
        joined, end = f"{joined} {following}", end + 1
    if "@" not in joined or not joined.endswith((":", "\uff1a")) or len(joined) > 400:
        return None
    pair = label_and_value(first)
    found = addresses_in(joined)
    if (pair is not None and "@" in pair[1]) or len(found) != 1:
        return None  # a header line ("From: a@b"), or a list of people
    address_at = joined.lower().find(found[0])
    outside = joined[:address_at] + joined[address_at + len(found[0]) :]
    if not any(character.isdigit() for character in outside):
        return None
    return end, attributed_name(joined[:address_at]), found[0]


_QUOTED_NAME = re.compile(
    "[\"'\u201c\u201e\u00ab\u2018]\\s*([^\"'\u201c\u201d\u201e\u00ab\u00bb\u2018\u2019]{1,80}?)"
    "\\s*[\"'\u201d\u00bb\u2019]"
)


def attributed_name(before: str) -> str:
    """The name in front of the address of an attribution line, when it can be told apart from
    the date and the words around it: quoted, or the capitalised words just before it."""
    quoted = _QUOTED_NAME.findall(before)
    if quoted:
        return quoted[-1].strip()[:255]
    words: list[str] = []
    for word in reversed(before.replace("(", " ").replace("<", " ").replace("[", " ").split()):
        if not word[:1].isupper() or word.isupper() or any(c.isdigit() for c in word):
            break
        words.insert(0, word.strip(",;"))
    return " ".join(words[-4:])[:255]


def dedented(text: str, depth: int) -> str:
    """The quoted message under an attribution line: one more quote level off, or the indent of
    its first line (Outlook indents instead of quoting)."""
    first = next((line for line in islice(text[:20_000].split("\n"), 50) if line.strip()), "")
    if quote_level(first)[0] > depth:
        return unquoted(text, depth + 1)
    text = unquoted(text, depth)
    indent = len(first) - len(first.lstrip(" \t"))
    if indent:
        text = re.sub(rf"^[ \t]{{1,{indent}}}", "", text, flags=re.MULTILINE)
    return text


# Where each client's quote container starts, by a word of its opening tag (class, id, style).
_CONTAINER_KEYS = (
    ("gmail_quote", "gmail_forward"),
    ("divrplyfwdmsg", "outlook_forward"),
    ("#e1e1e1", "outlook_forward"),  # Outlook's header div: border-top:solid #E1E1E1
    ("#b5c4df", "outlook_forward"),  # the same in Outlook 2007 and 2010
    ("moz-forward-container", "thunderbird_forward"),
    ("yahoo_quoted", "yahoo_forward"),
    ("cite", "apple_forward"),  # <blockquote type="cite">
)
_CONTAINER_TAG = re.compile(r"<(?:div|blockquote)\b[^<>]*\Z")
_CONTAINER_LIMIT = 50  # containers looked at per kind


def quote_containers(html: str) -> list[tuple[int, str]]:
    """(offset, client) of the opening tag of each client's quote container in `html`: Gmail's
    gmail_quote, Outlook's divRplyFwdMsg and bordered header div, Thunderbird's
    moz-forward-container, Yahoo's yahoo_quoted, Apple's blockquote type="cite"."""
    lower = html.lower()
    found: dict[int, str] = {}
    for key, client in _CONTAINER_KEYS:
        at = lower.find(key)
        for _ in range(_CONTAINER_LIMIT):
            if at < 0:
                break
            start = lower.rfind("<", max(at - 600, 0), at)
            tag = lower[start:at] if start >= 0 else ""
            if _CONTAINER_TAG.match(tag) and _is_container(key, tag):
                found.setdefault(start, client)
            at = lower.find(key, at + len(key))
    return sorted(found.items())


def _is_container(key: str, tag: str) -> bool:
    if key == "cite":
        return tag.startswith("<blockquote") and tag.rstrip(" \"'=").endswith("type")
    return "border-top" in tag if key.startswith("#") else True


def html_text(html: str) -> str:
    """The text of an HTML body, line structure kept (helpdesk.html_text), with a MARK line where
    a client's quote container starts (`quote_containers`)."""
    if not html:
        return ""
    html = html.replace(MARK, "")
    pieces, last = [], 0
    for start, client in quote_containers(html):
        pieces += [html[last:start], f"<br>{MARK}{client}<br>"]
        last = start
    return html_to_text("".join([*pieces, html[last:]]), soft_divs=True)


def sender_of(value: str) -> tuple[str, str]:
    """(name, address) from a forwarded From value: "Name <a@b>", "Name [mailto:a@b]", "a@b".

    A mailto wins over the display text: Outlook writes the shown name first, and that text can
    itself look like an address (another mailbox's), while the mailto is the real sender.
    """
    value = value.replace("*", "").strip()[:1000]
    for pattern in (_MAILTO, _ANGLE, _BARE):
        match = pattern.search(value)
        if match:
            address = (match.group(1) if match.groups() else match.group(0)).strip(".").lower()
            name = (value[: match.start()]).strip(" \"'<[(«»“”„").strip()
            if name.lower().startswith("mailto"):
                name = ""
            return name[:255], address
    return "", ""
