"""How a mail's HTML is shown to agents: sanitized again at render time, then isolated.

The pipeline already cleans HTML with nh3 on the way in; we clean it once more here with the same
allow-list (the stored copy may come from an older one), and put the result in the `srcdoc` of an
iframe whose `sandbox` has neither allow-scripts nor allow-same-origin, under a CSP of
`default-src 'none'` (docs/reliability.md, "Hostile content"). Remote images stay blocked by that
CSP until the agent asks for them, and then load through our image proxy (inbox.image_proxy); `cid:`
images are replaced by data: URLs of the message's own inline attachments.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from inbox.image_proxy import proxied_url
from inbox.inbound.sanitize import sanitize
from inbox.models import Attachment

SANDBOX = "allow-popups allow-popups-to-escape-sandbox"
# Inline images are embedded into the document; larger ones are left to the attachment list.
MAX_INLINE_IMAGE_BYTES = 2 * 1024 * 1024
INLINE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}

# The sanitizer's serializer writes each attribute as name="value" with quotes escaped, so a
# tag is a run of these and no attribute value can hide a src="..." (a "<" or ">" it may hold).
_IMG_TAG = re.compile(r'<img((?:\s+[^\s"\'>/=]+(?:="[^"]*")?)*)(\s*/?>)')
_ATTRIBUTE = re.compile(r'\s+([^\s"\'>/=]+)(?:="([^"]*)")?')
# What a browser's URL parser removes before reading a URL (WHATWG URL: leading and trailing C0
# controls and spaces; tabs and newlines anywhere).
_URL_EDGES = "".join(chr(code) for code in range(0x21))
_URL_TABS_AND_NEWLINES = re.compile(r"[\t\n\r]")

_BASE_STYLE = (
    "body{margin:0;padding:8px;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,"
    "sans-serif;color:#1d2733;overflow-wrap:anywhere}img{max-width:100%;height:auto}"
    "blockquote{margin:0 0 0 8px;padding-left:8px;border-left:2px solid #dde1e6;color:#5d6b7a}"
)


def page_policy_for_message_frames() -> dict[str, list[str]]:
    """What a page showing message frames adds to its Content-Security-Policy.

    A srcdoc frame inherits its parent's policy and both apply, so the page must allow the
    frame's one <style> (by its hash) and the mail's inline style attributes; scripts stay
    forbidden by both (docs/reliability.md, "Scripts on our own pages")."""
    digest = base64.b64encode(hashlib.sha256(_BASE_STYLE.encode()).digest()).decode()
    return {
        "style-src-elem": ["'self'", f"'sha256-{digest}'"],
        "style-src-attr": ["'unsafe-inline'"],
    }


@dataclass(frozen=True)
class RenderedBody:
    srcdoc: str
    has_remote_images: bool
    estimated_height: int


def sanitize_mail_html(value: str) -> str:
    """Mail HTML reduced to formatting, by the same allow-list the pipeline stores with."""
    return sanitize(value)


def _inline_images(attachments: Iterable[Attachment]) -> dict[str, str]:
    """content-id -> data: URL of the inline images small enough to embed."""
    images: dict[str, str] = {}
    for attachment in attachments:
        content_id = attachment.content_id.strip().strip("<>")
        content_type = attachment.content_type.split(";")[0].strip().lower()
        if not content_id or content_type not in INLINE_IMAGE_TYPES:
            continue
        if attachment.size > MAX_INLINE_IMAGE_BYTES or not attachment.file:
            continue
        try:
            with attachment.file.open("rb") as handle:
                data = handle.read(MAX_INLINE_IMAGE_BYTES + 1)
        except OSError:
            continue
        if len(data) > MAX_INLINE_IMAGE_BYTES:
            continue
        images[content_id] = f"data:{content_type};base64,{base64.b64encode(data).decode()}"
    return images


def remote_image_url(src: str) -> str | None:
    """The http(s) URL a browser would fetch for an <img src> value (unescaped), or None.

    Read the way a browser reads it (surrounding spaces stripped, tabs and newlines dropped,
    backslashes read as slashes), so that such a URL is recognised as the remote URL it is and
    never left in the frame.
    """
    url = _URL_TABS_AND_NEWLINES.sub("", src.strip(_URL_EDGES)).replace("\\", "/")
    if url.startswith("//"):
        url = "https:" + url
    scheme, _, rest = url.partition(":")
    if scheme.lower() not in {"http", "https"} or not rest.startswith("//"):
        return None
    url = scheme.lower() + ":" + rest
    return url if urlsplit(url).hostname else None


def content_security_policy(*, image_origin: str = "") -> str:
    """Images from data: URLs only, or also from our image proxy once the agent shows them."""
    image_sources = f"data: {image_origin}" if image_origin else "data:"
    return f"default-src 'none'; img-src {image_sources}; style-src 'unsafe-inline'; form-action 'none'"


def render_html_body(
    value: str,
    *,
    attachments: Iterable[Attachment] = (),
    show_images: bool = False,
    image_origin: str = "",
    viewer: str = "",
) -> RenderedBody:
    """The iframe srcdoc document for a mail's HTML body.

    With `show_images`, remote images load through our image proxy at `image_origin`, never
    straight from the sender's server (docs/reliability.md, "Remote images and tracking pixels"),
    in links signed for `viewer` (whose fetches the proxy counts).
    """
    show_images = show_images and bool(image_origin)
    body = sanitize_mail_html(value)
    images = _inline_images(attachments) if "cid:" in body.lower() else {}
    has_remote = False

    def image_source(src: str) -> str:
        """The attribute an <img src> becomes: embedded, proxied, blocked or emptied."""
        nonlocal has_remote
        if src.strip(_URL_EDGES).lower().startswith("cid:"):
            return f'src="{html.escape(images.get(src.strip(_URL_EDGES)[4:], ""))}"'
        remote = remote_image_url(src)
        if remote is None:
            # Not an image of the message, nor a remote one: a browser might resolve it
            # against our own origin.
            return 'src=""'
        has_remote = True
        if show_images:
            return f'src="{html.escape(proxied_url(remote, origin=image_origin, viewer=viewer))}"'
        # The CSP blocks these too; removing the URL means no request even if a browser's
        # preload scanner or a CSP bug lets one through (docs/reliability.md, "Remote images
        # and tracking pixels").
        return f'data-blocked-src="{html.escape(remote)}"'

    def rewrite(tag: re.Match[str]) -> str:
        attributes = [
            image_source(html.unescape(found[2] or ""))
            if found[1].lower() == "src"
            else found[0].strip()
            for found in _ATTRIBUTE.finditer(tag[1])
        ]
        return "<img" + "".join(f" {attribute}" for attribute in attributes) + tag[2]

    body = _IMG_TAG.sub(rewrite, body)
    csp = content_security_policy(image_origin=image_origin if show_images else "")
    document = (
        '<!doctype html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp)}">'
        '<base target="_blank">'
        f"<style>{_BASE_STYLE}</style></head><body>{body}</body></html>"
    )
    text_length = len(re.sub(r"<[^>]+>", "", body))
    lines = body.lower().count("<br") + body.lower().count("<p") + body.lower().count("<tr")
    height = max(120, min(900, 40 + lines * 22 + text_length // 4))
    return RenderedBody(srcdoc=document, has_remote_images=has_remote, estimated_height=height)
