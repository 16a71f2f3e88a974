"""The team signature: stored as sanitized HTML with tokens, filled with the sending agent's names.

Tokens are plain markers replaced by simple substitution, never template rendering, so nothing a
user types can run as template code. Names are HTML-escaped before they go into the HTML.

Images are our own uploads only (`SignatureImage`, referenced by their URL here): a remote image
would make every contact's mail client fetch it (a tracking pixel in all but name), so replies
carry each image inline as a `cid:` part instead (inbox/services/outbound.py).
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import nh3
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from helpdesk.html_text import html_to_text

TOKENS = {
    "full_name": "Full name",
    "first_name": "First name",
}

_TOKEN = re.compile(r"\{\{\s*(" + "|".join(TOKENS) + r")\s*\}\}")

_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "a", "img", "br", "p", "div", "span"}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_IMG_SRC = re.compile(r"<img\b[^>]*?\ssrc=\"([^\"]*)\"", re.IGNORECASE)
_IMG_WITHOUT_SRC = re.compile(r"<img\b(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)

# Raster images only, recognised by their first bytes (never by the uploader's content type):
# SVG can carry script, and anything else is not an image a mail client shows inline.
MAX_SIGNATURE_IMAGE_BYTES = 1024 * 1024
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
IMAGE_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}


def token_marker(name: str) -> str:
    """How a token is written in a stored signature, e.g. {{first_name}}."""
    return "{{" + name + "}}"


def image_type(head: bytes) -> str | None:
    """The content type of a PNG, JPEG, GIF or WebP file from its first 12 bytes, else None."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def signature_image_src(image_id: int) -> str:
    """How a stored signature refers to one of our signature images."""
    return reverse("channels_cfg:signature_image", args=[image_id])


def signature_image_id(src: str) -> int | None:
    """The id of the signature image `src` refers to, exactly as `signature_image_src` writes
    it; None for anything else (a remote URL, another page of ours, a query string)."""
    if not src.startswith("/") or src.startswith("//"):
        return None
    try:
        match = resolve(src)
    except Resolver404:
        return None
    if match.view_name != "channels_cfg:signature_image":
        return None
    image_id = int(match.kwargs["image_id"])
    try:
        return image_id if signature_image_src(image_id) == src else None
    except NoReverseMatch:
        return None


def signature_image_ids(signature_html: str) -> list[int]:
    """The ids of the signature images a (sanitized) signature shows, in order, once each."""
    found = (signature_image_id(html.unescape(src)) for src in _IMG_SRC.findall(signature_html))
    return list(dict.fromkeys(image_id for image_id in found if image_id is not None))


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if signature_image_id(value) is not None else None
    if tag == "a" and attribute == "href":
        # An absolute link only: a relative one means nothing in the contact's mail client.
        return value if urlsplit(value).scheme.lower() in LINK_SCHEMES else None
    return value


def sanitize_signature(value: str) -> str:
    """The signature as it may be stored: a small set of formatting tags, links (http, https,
    mailto) and our own uploaded images; an image from anywhere else is dropped."""
    cleaned = nh3.clean(
        value or "",
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=set(LINK_SCHEMES),
        url_relative="pass_through",
        link_rel="noopener noreferrer",
    )
    return _IMG_WITHOUT_SRC.sub("", cleaned).strip()


def render_signature(signature_html: str, *, full_name: str, first_name: str) -> str:
    """The stored signature with its tokens replaced by the sending agent's (escaped) names."""
    values = {"full_name": full_name, "first_name": first_name}
    return _TOKEN.sub(lambda match: html.escape(values[match[1]]), signature_html or "")


def signature_text(signature_html: str) -> str:
    """A plain-text version of a rendered signature, for the text/plain part of a reply."""
    return html_to_text(signature_html or "")
