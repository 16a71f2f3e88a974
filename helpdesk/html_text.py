"""Plain text of an HTML body that keeps its line structure: one conversion for every need
(the text part of a reply and its signature, the snippet, finding a forwarded block)."""

from __future__ import annotations

import html as html_lib
import re

MAX_HTML = 2_000_000

_HIDDEN = (
    ("<style", "</style"),
    ("<script", "</script"),
    ("<head", "</head"),
    ("<title", "</title"),
    ("<!--", "-->"),
)
_SOURCE_WHITESPACE = re.compile(r"\s+")
# "[^<>]" rather than "[^>]": a stray "<" never makes a tag scan on to the end of the text, so
# every pattern here runs in time linear in the size of the HTML.
_ELEMENT_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>")
_TAG = re.compile(r"<[^<>]*>")
# Opening and closing block tags both end a line: "<p>a</p><p>b</p>" and "a<div>b</div>" alike,
# so "</p><p>" and "</div><div>" leave a blank line (a composer's paragraphs stay apart).
_BLOCKS = frozenset(
    {
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "dt", "dd",
        "blockquote", "pre", "section", "article", "header", "footer", "aside", "nav",
        "address", "center", "form", "fieldset", "hr",
    }
)  # fmt: skip
# Table parts are soft breaks: a run of them is one line break, so each cell is a line of its
# own with no blank lines between cells or rows ("<tr><th>From:</th><td>Ann</td></tr>" reads
# "From:" then "Ann"). With soft_divs, divisions too, as a browser shows them.
_TABLE_PARTS = frozenset({"table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption"})
_DIVISIONS = frozenset({"div", "section", "article", "header", "footer", "aside", "nav"})
_SOFT = "\x00"
_BREAK_ENDING_A_BLOCK = re.compile("(?<=[^\\s\x00]) ?\n(?= ?\x00)")
_SOFT_RUN = re.compile("\x00(?: ?\x00)*")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(html: str, *, soft_divs: bool = False) -> str:
    """The text of `html`, block elements and `<br>` as line breaks, table cells one per line,
    list items as "- " lines, at most one blank line in a row, each line stripped.

    With `soft_divs`, lines end where a browser ends them: a run of division tags is one line
    break, and a `<br>` closing a division adds none (mail clients write one header line per
    division: "<div>From: Ann</div><div>Subject: Hi</div>" reads as two lines, not three).
    """
    if not html:
        return ""
    soft = _TABLE_PARTS | _DIVISIONS if soft_divs else _TABLE_PARTS
    value = _without_hidden(html[:MAX_HTML].replace(_SOFT, ""))
    value = _SOURCE_WHITESPACE.sub(" ", value)  # newlines in HTML source mean nothing
    value = _ELEMENT_TAG.sub(lambda tag: _line_break(tag, soft), value)
    value = _SOFT_RUN.sub("\n", _BREAK_ENDING_A_BLOCK.sub("", value) if soft_divs else value)
    value = html_lib.unescape(_TAG.sub("", value)).replace("\xa0", " ")
    lines = "\n".join(line.strip() for line in value.split("\n"))
    return _BLANK_LINES.sub("\n\n", lines).strip()


def _line_break(tag: re.Match[str], soft: frozenset[str]) -> str:
    closing, name = tag.group(1), tag.group(2).lower()
    if name == "br":
        return "\n"
    if name == "li":
        return "\n" if closing else "\n- "
    if name in soft:
        return _SOFT
    return "\n" if name in _BLOCKS else ""


def _without_hidden(html: str) -> str:
    """`html` without comments and style, script, head and title elements. An element without
    its closing tag is kept (its tags then vanish with the others), a comment without its end
    runs to the end. Like every step here, this runs in time linear in the size of the HTML,
    however the tags are left open."""
    lower = html.lower()
    spans: list[tuple[int, int]] = []
    for opener, closer in _HIDDEN:
        at = lower.find(opener)
        while at >= 0:
            following = lower[at + len(opener) : at + len(opener) + 1]
            if opener != "<!--" and following.isalnum():  # <header>, not <head>
                at = lower.find(opener, at + 1)
                continue
            end = lower.find(closer, at + len(opener))
            if end < 0 and opener == "<!--":
                spans.append((at, len(html)))  # as a browser reads it: a comment to the end
                break
            if end < 0:
                break  # no closing tag: none for the later ones either
            end = end + len(closer) if closer == "-->" else lower.find(">", end) + 1
            spans.append((at, end if end > 0 else len(html)))
            at = lower.find(opener, spans[-1][1])
    kept, position = [], 0
    for start, end in sorted(spans):
        if start >= position:
            kept.append(html[position:start])
            position = end
    kept.append(html[position:])
    return "".join(kept)
