"""HTML of inbound mail, made safe to show (RELIABILITY.md rows 39-42).

nh3 keeps only allow-listed tags and attributes: no script, style blocks, event handlers, forms,
frames, objects, meta or base; URLs only http(s)/mailto (and cid:, rewritten to our attachment
URL). Inline style is allowed for layout, with properties allow-listed and any value that can
fetch or execute (url(), expression(), @import, escapes) dropped: nh3 filters property names
only, so values are checked here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import nh3

ALLOWED_STYLE_PROPERTIES = frozenset(
    {
        "color", "background-color", "font", "font-family", "font-size", "font-style",
        "font-weight", "text-align", "text-decoration", "text-indent", "line-height",
        "letter-spacing", "white-space", "vertical-align", "margin", "margin-top",
        "margin-bottom", "margin-left", "margin-right", "padding", "padding-top",
        "padding-bottom", "padding-left", "padding-right", "border", "border-top",
        "border-bottom", "border-left", "border-right", "border-color", "border-style",
        "border-width", "border-collapse", "border-spacing", "border-radius", "width",
        "height", "max-width", "min-width", "display", "list-style-type", "direction",
    }
)  # fmt: skip
_DANGEROUS_VALUE = re.compile(
    r"url\s*\(|expression|@import|\\|javascript:|behavior|-moz-binding", re.I
)
_CID = "cid:"


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "style":
        return None if _DANGEROUS_VALUE.search(value) else value
    if attribute == "src" and value.lower().startswith(_CID):
        return value  # rewritten to our attachment URL once the attachment has a primary key
    return value


_TAGS = set(nh3.ALLOWED_TAGS) - {"img"} | {"img", "font", "center", "span", "div"}
_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
_ATTRIBUTES["*"] = {"style", "align", "dir", "title", "lang"}
_ATTRIBUTES.setdefault("img", set()).update({"src", "alt", "width", "height"})
_ATTRIBUTES.setdefault("font", set()).update({"color", "face", "size"})
for _cell in ("td", "th", "table"):
    _ATTRIBUTES.setdefault(_cell, set()).update(
        {"width", "bgcolor", "valign", "colspan", "rowspan"}
    )

_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style", "title"},
    attributes=_ATTRIBUTES,
    url_schemes={"http", "https", "mailto", "cid"},
    attribute_filter=_attribute_filter,
    filter_style_properties=set(ALLOWED_STYLE_PROPERTIES),
    strip_comments=True,
    link_rel="noopener noreferrer nofollow",
)
_CID_SRC = re.compile(r'src="cid:([^"]*)"', re.IGNORECASE)


def sanitize(html: str) -> str:
    """Safe HTML; cid: image references are kept for rewrite_cids."""
    if not html:
        return ""
    return _CLEANER.clean(html)


def rewrite_cids(html: str, url_for_content_id: Mapping[str, str]) -> str:
    """Point cid: images at our attachment URLs; a cid with no attachment loses its src."""

    def replace(match: re.Match[str]) -> str:
        url = url_for_content_id.get(match.group(1).strip("<>").lower())
        return f'src="{url}"' if url else 'src=""'

    return _CID_SRC.sub(replace, html)
