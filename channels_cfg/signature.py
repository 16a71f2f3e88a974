"""The team signature: stored as sanitized HTML with tokens, filled with the sending agent's names.

Tokens are plain markers replaced by simple substitution, never template rendering, so nothing a
user types can run as template code. Names are HTML-escaped before they go into the HTML.
"""

from __future__ import annotations

import html
import re

import nh3

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


def token_marker(name: str) -> str:
    """How a token is written in a stored signature, e.g. {{first_name}}."""
    return "{{" + name + "}}"


def sanitize_signature(value: str) -> str:
    """The signature as it may be stored: a small set of formatting tags, safe links and images."""
    return nh3.clean(
        value or "",
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    ).strip()


def render_signature(signature_html: str, *, full_name: str, first_name: str) -> str:
    """The stored signature with its tokens replaced by the sending agent's (escaped) names."""
    values = {"full_name": full_name, "first_name": first_name}
    return _TOKEN.sub(lambda match: html.escape(values[match[1]]), signature_html or "")


def signature_text(signature_html: str) -> str:
    """A plain-text version of a rendered signature, for the text/plain part of a reply."""
    return html_to_text(signature_html or "")
