"""A reply composed from what the agent wrote: pure functions over plain data.

No database, no storage, no settings: the service (`inbox/services/outbound.py`) gathers the
facts (the From, the signature, the thread's Message-IDs, our own addresses), calls these,
stores the `Reply` and later sends what `build_email` makes of it.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.utils import formataddr, getaddresses
from typing import Any

import nh3
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.core.validators import validate_email

from helpdesk.html_text import html_to_text
from helpdesk.mail_ids import LOOP_HEADER
from helpdesk.mail_providers import is_domain_within
from helpdesk.refusals import Refused

COMPOSER_TAGS = frozenset(
    {"p", "br", "div", "b", "strong", "i", "em", "u", "ul", "ol", "li", "a", "blockquote"}
)
# Addresses in one address field (To, Cc).
MAX_RECIPIENTS = MAX_CC = 20
# Newest Message-IDs kept in References: enough to thread, short enough for any header limit.
MAX_REFERENCES = 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# One entry of an address list: up to a comma or semicolon that is not inside a quoted name
# ("Doe, Jane" <jane@example.com>).
_ADDRESS_ENTRY = re.compile(r'(?:"[^"]*"|[^,;"])+')
_REPLY_PREFIX = re.compile(r"(?i)^\s*re:")


class ReplyRefused(Refused):
    """A reply that cannot be sent as written; the sentence is shown beside the composer."""


@dataclass(frozen=True)
class ReplyBody:
    html: str
    text: str


@dataclass(frozen=True)
class Reply:
    """A reply as its outbound Message stores it and as it is sent."""

    from_name: str
    from_email: str
    to: str
    cc: tuple[str, ...]
    subject: str
    text: str
    html: str
    in_reply_to: str = ""
    references: str = ""


@dataclass(frozen=True)
class ThreadMail:
    """What the Cc default needs to know of one mail of the thread."""

    inbound: bool
    automatic: bool  # an auto-reply or a bounce
    attributed_via: str
    cc: str


@dataclass(frozen=True)
class AttachmentFile:
    filename: str
    content: bytes
    content_type: str
    # Set for an inline image (a signature's logo): the HTML shows it as `cid:<content_id>`.
    content_id: str = ""


_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_IMG_SRC = re.compile(r"(\ssrc=\")([^\"]*)(\")", re.IGNORECASE)


def inline_images(
    signature_html: str, images: Mapping[str, AttachmentFile]
) -> tuple[str, list[AttachmentFile]]:
    """The signature with each `<img>` pointing at its inline part (`cid:`), and the parts it
    uses, in order. `images` maps an image's src (as written in the HTML) to its part; an image
    without one is removed, so the contact's mail client has nothing remote to load."""
    used: dict[str, AttachmentFile] = {}

    def rewrite(tag: re.Match[str]) -> str:
        src = _IMG_SRC.search(tag[0])
        image = images.get(html.unescape(src[2])) if src else None
        if image is None or not image.content_id:
            return ""
        used.setdefault(image.content_id, image)
        return _IMG_SRC.sub(lambda m: f"{m[1]}cid:{html.escape(image.content_id)}{m[3]}", tag[0])

    return _IMG_TAG.sub(rewrite, signature_html), list(used.values())


def sanitize_composer_html(value: str, *, inline_images: bool = False) -> str:
    """The composer's HTML with only simple formatting and safe links left; with
    `inline_images`, also images that show an inline part (`<img src="cid:...">`)."""
    if not inline_images:
        return nh3.clean(
            value or "",
            tags=set(COMPOSER_TAGS),
            attributes={"a": {"href"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer",
        ).strip()
    return nh3.clean(
        value or "",
        tags=set(COMPOSER_TAGS) | {"img"},
        # The editor's caption of a pasted image is its file name and size: not for the contact.
        clean_content_tags={"figcaption", "script", "style"},
        attributes={"a": {"href"}, "img": {"src", "alt", "width", "height"}},
        url_schemes={"http", "https", "mailto", "cid"},
        attribute_filter=_cid_images_only,
        link_rel="noopener noreferrer",
    ).strip()


def _cid_images_only(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if value.lower().startswith("cid:") else None
    if tag == "a" and attribute == "href" and value.lower().startswith("cid:"):
        return None
    return value


_DATA_IMAGE = re.compile(r"data:(image/(?:png|jpeg|gif|webp));base64,([A-Za-z0-9+/=\s]+)", re.I)


def composer_inline_images(
    body_html: str, *, content_id_suffix: str
) -> tuple[str, list[AttachmentFile]]:
    """Images pasted or dropped into the composer (`data:` URLs) as inline parts, each `<img>`
    pointing at its part (`cid:`); any other image (a remote one) is removed."""
    images: dict[str, AttachmentFile] = {}
    for tag in _IMG_TAG.findall(body_html):
        src = _IMG_SRC.search(tag)
        value = html.unescape(src[2]) if src else ""
        match = _DATA_IMAGE.fullmatch(value)
        if match is None or value in images:
            continue
        try:
            content = base64.b64decode(re.sub(r"\s", "", match[2]), validate=True)
        except binascii.Error:
            continue
        number = len(images) + 1
        content_type = match[1].lower()
        extension = content_type.partition("/")[2]
        images[value] = AttachmentFile(
            filename=f"image-{number}.{extension}",
            content=content,
            content_type=content_type,
            content_id=f"image-{number}.{content_id_suffix}@inline",
        )
    return inline_images(body_html, images)


def text_to_html(value: str) -> str:
    """Plain text as HTML: blank lines end paragraphs, other line breaks become `<br>`."""
    paragraphs = [part for part in re.split(r"\n\s*\n", value.strip()) if part.strip()]
    return "".join("<p>" + html.escape(part).replace("\n", "<br>") + "</p>" for part in paragraphs)


def reply_body(
    *, body_html: str, body_text: str, signature_html: str = "", inline_images: bool = False
) -> ReplyBody:
    """The reply as sent: the agent's text, then the (already rendered) team signature.
    `inline_images`: the body's images already point at their inline parts (`cid:`)."""
    content = (
        sanitize_composer_html(body_html, inline_images=inline_images)
        if body_html.strip()
        else text_to_html(body_text)
    )
    text = html_to_text(content)
    if not text:
        raise ReplyRefused("Write a reply before sending.")
    if not signature_html:
        return ReplyBody(html=content, text=text)
    # "-- " on a line of its own is the signature separator mail clients recognise (RFC 3676).
    return ReplyBody(
        html=f'{content}<div class="signature">{signature_html}</div>',
        text=f"{text}\n\n-- \n{html_to_text(signature_html)}",
    )


def from_header(*, name: str, address: str) -> tuple[str, str]:
    """(display name, address) exactly as the contact will see them; no control characters."""
    return _CONTROL.sub("", name), address


def reply_subject(subject: str) -> str:
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}".strip()


def threading_headers(message_ids: Sequence[str]) -> tuple[str, str]:
    """In-Reply-To (the newest id) and References (the newest ids in order) of a reply to a
    thread whose Message-IDs are `message_ids`, oldest first."""
    ids = [value.strip() for value in message_ids if value.strip()]
    return (ids[-1] if ids else ""), " ".join(ids[-MAX_REFERENCES:])


def address_list(
    value: str, *, label: str, field: str = "", exclude: tuple[str, ...] = ()
) -> list[str]:
    """The addresses written in an address field ("a@x, Name <b@y>; c@z"), lower-cased, without
    repeats nor `exclude` (lower-case addresses): a reply's Cc, a new email's To and Cc, a
    forward's To.

    Each must be a valid address (a clear error names the one that is not, for the form field
    `field`); control characters are refused rather than cleaned, so nothing can smuggle in a
    header.
    """
    if _CONTROL.search(value.replace("\t", " ")):
        raise ReplyRefused(f"{label} may hold addresses only, separated by commas.", field=field)
    found: list[str] = []
    for part in _ADDRESS_ENTRY.findall(value):
        part = part.strip()
        if not part:
            continue
        pairs = getaddresses([part])
        address = pairs[0][1].strip().lower() if len(pairs) == 1 else ""
        try:
            validate_email(address)
        except ValidationError:
            raise ReplyRefused(
                f"“{part[:80]}” in {label} is not an email address.", field=field
            ) from None
        if address not in exclude and address not in found:
            found.append(address)
    if len(found) > MAX_RECIPIENTS:
        raise ReplyRefused(f"{label} may hold at most {MAX_RECIPIENTS} addresses.", field=field)
    return found


def cc_addresses(value: str, *, contact_email: str) -> list[str]:
    """The composer's Cc as addresses; the contact (already the To) is dropped."""
    return address_list(value, label="Cc", exclude=(contact_email.lower(),))


def reply_cc_default(
    mails: Sequence[ThreadMail], *, own_addresses: Collection[str], own_domains: Collection[str]
) -> str:
    """What the composer's Cc starts with: the Cc of the customer's latest mail (of `mails`,
    oldest first), so the people they copied stay in the conversation; never `own_addresses`
    (ours and the contact's) nor an address on `own_domains`. Nothing after a forward or an
    automatic mail, whose Cc is not the customer's."""
    latest = next((mail for mail in reversed(mails) if mail.inbound and not mail.automatic), None)
    if latest is None or latest.attributed_via not in {"from_header", "auto_forward"}:
        return ""
    ours = {address.lower() for address in own_addresses}
    kept = [
        address
        for address in dict.fromkeys(a.lower() for _, a in getaddresses([latest.cc]) if "@" in a)
        if address not in ours and not is_domain_within(address.rpartition("@")[2], own_domains)
    ]
    return ", ".join(kept[:MAX_CC])


def compose_reply(
    *,
    body_html: str,
    body_text: str,
    cc: str,
    signature_html: str,
    from_name: str,
    from_email: str,
    contact_email: str,
    thread_subject: str,
    thread_message_ids: Sequence[str],
    inline_images: bool = False,
) -> Reply:
    """The reply to store, or ReplyRefused when it cannot be sent as written."""
    copied = cc_addresses(cc, contact_email=contact_email)
    body = reply_body(
        body_html=body_html,
        body_text=body_text,
        signature_html=signature_html,
        inline_images=inline_images,
    )
    in_reply_to, references = threading_headers(thread_message_ids)
    return Reply(
        from_name=from_name,
        from_email=from_email,
        to=contact_email,
        cc=tuple(copied),
        subject=reply_subject(thread_subject),
        text=body.text,
        html=body.html,
        in_reply_to=in_reply_to,
        references=references,
    )


def build_email(
    reply: Reply,
    *,
    message_id: str,
    loop_header: str,
    metadata: Mapping[str, str],
    attachments: Sequence[AttachmentFile] = (),
) -> EmailMultiAlternatives:
    """The MIME mail of a reply: our From, threading headers, the loop marker, the tracking tag."""
    headers = {"Message-ID": message_id, LOOP_HEADER: loop_header}
    if reply.in_reply_to:
        headers["In-Reply-To"] = reply.in_reply_to
    if reply.references:
        headers["References"] = reply.references
    email = _ReplyEmail(
        subject=_CONTROL.sub(" ", reply.subject),
        body=reply.text,
        from_email=formataddr((_CONTROL.sub("", reply.from_name), reply.from_email)),
        # One address for a reply; a new email or a forward may go to several ("a@x, b@y").
        to=[address.strip() for address in reply.to.split(",") if address.strip()],
        cc=list(reply.cc),
        headers=headers,
    )
    # anymail sends this to the ESP, which echoes it in the delivery events about this mail.
    email.metadata = dict(metadata)  # type: ignore[attr-defined]  # anymail's extension attribute
    if reply.html:
        email.attach_alternative(reply.html, "text/html")
    for attachment in attachments:
        if attachment.content_id:
            email.attach(_inline_part(attachment))
        else:
            email.attach(attachment.filename, attachment.content, attachment.content_type)
    return email


def _inline_part(image: AttachmentFile) -> MIMEImage:
    part = MIMEImage(image.content, image.content_type.partition("/")[2] or None)
    part.add_header("Content-ID", f"<{image.content_id}>")
    part.add_header("Content-Disposition", "inline", filename=image.filename)
    return part


class _ReplyEmail(EmailMultiAlternatives):
    """A reply whose inline images (attachments with a Content-ID) travel with its body in a
    multipart/related (RFC 2387), inside the multipart/mixed of its other attachments. ESP
    backends (anymail) read `attachments` and send a part with a Content-ID inline themselves."""

    def _create_attachments(self, msg: Any) -> Any:
        django: Any = super()  # Django 5.2's private MIME assembly, not in django-stubs
        inline = [part for part in self.attachments if _is_inline_part(part)]
        if not inline:
            return django._create_attachments(msg)
        encoding = self.encoding or "utf-8"
        related = SafeMIMEMultipart(_subtype="related", encoding=encoding)
        related.set_param("type", msg.get_content_type())
        related.attach(msg)
        for part in inline:
            related.attach(part)
        regular = [part for part in self.attachments if not _is_inline_part(part)]
        if not regular:
            return related
        mixed = SafeMIMEMultipart(_subtype="mixed", encoding=encoding)
        mixed.attach(related)
        for part in regular:
            mixed.attach(part if isinstance(part, MIMEBase) else django._create_attachment(*part))
        return mixed


def _is_inline_part(part: object) -> bool:
    return isinstance(part, MIMEBase) and bool(part["Content-ID"])
