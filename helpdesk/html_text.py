"""Plain text of an HTML body that keeps its line structure: one conversion for every need
(the text part of a reply and its signature, the snippet, finding a forwarded block)."""

from __future__ import annotations

import html as html_lib
import re

MAX_HTML = 2_000_000

_DROP = re.compile(
    r"<(style|script|head|title)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
_SOURCE_WHITESPACE = re.compile(r"\s+")
# Opening and closing block tags both end a line: "<p>a</p><p>b</p>" and "a<div>b</div>" alike.
_BLOCK = re.compile(
    r"<\s*/?\s*(?:p|div|tr|table|tbody|thead|tfoot|h[1-6]|ul|ol|dl|dt|dd|blockquote|pre|"
    r"section|article|header|footer|aside|nav|address|center|form|fieldset|hr|td|th|caption)"
    r"\b[^>]*>",
    re.IGNORECASE,
)
_BREAK = re.compile(r"<\s*br\b[^>]*>", re.IGNORECASE)
_LIST_ITEM = re.compile(r"<\s*li\b[^>]*>", re.IGNORECASE)
_LIST_ITEM_END = re.compile(r"<\s*/\s*li\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """The text of `html`, block elements and `<br>` as line breaks, list items as "- " lines,
    at most one blank line in a row, each line stripped."""
    if not html:
        return ""
    value = _DROP.sub("", html[:MAX_HTML])
    value = _SOURCE_WHITESPACE.sub(" ", value)  # newlines in HTML source mean nothing
    value = _BREAK.sub("\n", value)
    value = _LIST_ITEM.sub("\n- ", value)
    value = _LIST_ITEM_END.sub("\n", value)
    value = _BLOCK.sub("\n", value)
    value = html_lib.unescape(_TAG.sub("", value)).replace("\xa0", " ")
    lines = "\n".join(line.strip() for line in value.split("\n"))
    return _BLANK_LINES.sub("\n\n", lines).strip()
