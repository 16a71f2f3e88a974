"""HTML of inbound mail, made safe to show (docs/reliability.md, "Hostile content").

nh3 keeps only allow-listed tags and attributes: no script, style blocks, event handlers, forms,
frames, objects, meta or base; URLs only http(s)/mailto (and cid:, embedded from the message's
own attachments when shown). Inline style is allowed for layout, with properties allow-listed
and any value that can fetch or execute (url(), expression(), @import, escapes) dropped: nh3
filters property names only, so values are checked here.
"""

from __future__ import annotations

import re

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
        return value  # embedded from the message's own attachment when shown (inbox.rendering)
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
    clean_content_tags={"script", "style", "title", "head"},
    attributes=_ATTRIBUTES,
    url_schemes={"http", "https", "mailto", "tel", "cid"},
    # Mail has no base URL of ours to be relative to; "//host/x" is a remote URL in disguise.
    url_relative="deny",
    attribute_filter=_attribute_filter,
    filter_style_properties=set(ALLOWED_STYLE_PROPERTIES),
    strip_comments=True,
    link_rel="noopener noreferrer nofollow",
)


def sanitize(html: str) -> str:
    """Safe HTML; cid: image references are kept for the renderer to embed."""
    if not html:
        return ""
    return _CLEANER.clean(html)
