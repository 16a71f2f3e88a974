"""What a stored message shows (the forwarded message when attribution found one), the digest
that tells a retry from a different message under the same Message-ID, and the thread's snippet."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from helpdesk.html_text import html_to_text
from inbox.inbound.attribute import Attribution
from inbox.inbound.parse import ParsedEmail

SNIPPET_CHARS = 200


@dataclass(frozen=True)
class Content:
    """What the stored message shows: the forwarded message when attribution found one."""

    subject: str
    text: str
    html: str
    digest: str


def content_for(
    parsed: ParsedEmail, attribution: Attribution, digest: str | None = None
) -> Content:
    """What the message shows; `digest` is `content_digest(parsed)` when the caller has it
    already (it hashes every attachment: no need to do that twice)."""
    text = attribution.text if attribution.text is not None else parsed.text
    html = attribution.html if attribution.html is not None else parsed.html
    # The conversation is named by what the customer wrote, not by the forward's "Fwd: ...".
    shown_subject = attribution.subject or parsed.subject
    return Content(
        shown_subject[:998], text, html, content_digest(parsed) if digest is None else digest
    )


def content_digest(parsed: ParsedEmail) -> str:
    """Everything the sender wrote, attachments included: the same Message-ID with any other content
    is a different message (docs/reliability.md, "The same Message-ID with other content"), not a
    retry."""
    hasher = hashlib.sha256()
    for part in (parsed.subject, parsed.text.strip(), parsed.html.strip()):
        hasher.update(part.encode("utf-8", "replace") + b"\0")
    for embedded in parsed.embedded:
        hasher.update(
            f"{embedded.from_email}\0{embedded.text}\0{embedded.html}\0".encode("utf-8", "replace")
        )
    for attachment in parsed.attachments:
        hasher.update(attachment.filename.encode("utf-8", "replace") + b"\0" + attachment.payload)
    return hasher.hexdigest()


def snippet(content: Content) -> str:
    """The line the thread list shows: the start of the text, or of the HTML's text, on one line.

    Only the start is read, so a huge body costs no more than a short one.
    """
    text = content.text[:2000] or html_to_text(content.html[:20_000])
    return " ".join(text.split())[:SNIPPET_CHARS]
