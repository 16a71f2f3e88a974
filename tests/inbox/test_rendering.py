"""Mail HTML at render time (docs/reliability.md, "Hostile content"): sanitized, isolated, images
gated."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile

from inbox.image_proxy import SignedImage, signed_image, url_from_signed
from inbox.models import Attachment
from inbox.rendering import render_html_body, sanitize_mail_html
from tests.factories import MessageFactory

HOSTILE = (Path(__file__).parent / "fixtures" / "hostile.html").read_text()


def test_hostile_html_keeps_no_script_handler_form_base_or_remote_url():
    body = sanitize_mail_html(HOSTILE).lower()
    for needle in (
        "<script",
        "onerror",
        "onbegin",
        "javascript:",
        "<form",
        "<input",
        "<base",
        "<meta",
        "<style",
        "<link",
        "<iframe",
        "<object",
        "<embed",
        "<svg",
        "<animate",
        "url(",
        "position",
        "z-index",
    ):
        assert needle not in body, needle
    assert "visible hostile text" in body


def test_srcdoc_carries_a_csp_that_blocks_remote_images_until_asked():
    blocked = render_html_body('<img src="https://t.example/p.gif">')
    assert "default-src 'none'; img-src data:;" in blocked.srcdoc.replace("&#x27;", "'")
    assert blocked.has_remote_images
    shown = render_html_body(
        '<img src="https://t.example/p.gif?a=1&amp;b=2" srcset="https://t.example/p2.gif 2x">',
        show_images=True,
        image_origin="https://desk.example",
    )
    # Shown images load from our image proxy only: neither the CSP nor the markup names the
    # sender's server (docs/reliability.md, "Remote images and tracking pixels").
    assert "img-src data: https://desk.example;" in shown.srcdoc
    assert "//t.example" not in shown.srcdoc
    src = re.search(r'<img src="([^"]+)"', shown.srcdoc)[1]
    assert src.startswith("https://desk.example/image-proxy/?src=")
    assert "srcset" not in shown.srcdoc
    signed = parse_qs(urlsplit(html.unescape(src)).query)["src"][0]
    assert url_from_signed(signed) == "https://t.example/p.gif?a=1&b=2"


def test_no_remote_images_means_no_show_images_button():
    assert not render_html_body(
        '<p>hello <img src="data:image/png;base64,AAAA"></p>'
    ).has_remote_images


@pytest.mark.django_db
def test_cid_images_are_inlined_from_the_messages_own_attachments(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    message = MessageFactory()
    logo = Attachment(
        message=message,
        filename="logo.png",
        content_type="image/png",
        size=4,
        content_id="<logo@x>",
        is_inline=True,
    )
    logo.file.save("x", ContentFile(b"\x89PNG"), save=True)
    svg = Attachment(
        message=message,
        filename="a.svg",
        content_type="image/svg+xml",
        size=4,
        content_id="<svg@x>",
        is_inline=True,
    )
    svg.file.save("y", ContentFile(b"<svg/>"), save=True)
    rendered = render_html_body(
        '<img src="cid:logo@x"><img src="cid:svg@x"><img src="cid:missing@x">',
        attachments=[logo, svg],
    )
    assert 'src="data:image/png;base64,iVBORw=="' in rendered.srcdoc
    # SVG (scriptable) and unknown content-ids are never embedded.
    assert "image/svg" not in rendered.srcdoc
    assert rendered.srcdoc.count('src=""') == 2


def _img_sources(srcdoc: str) -> list[str]:
    return [html.unescape(value) for value in re.findall(r'<img[^>]*\ssrc="([^"]*)"', srcdoc)]


@pytest.mark.parametrize(
    "markup",
    [
        '<img src=" https://t.example/p.gif ">',
        '<img src="&#9;https://t.example/p.gif&#10;">',
        '<img src="\n  https://t.example/p.gif\n">',
        '<img src="&#x20;HTTPS://t.example/p.gif">',
        '<img src="ht&#9;tps://t.example/p.gif">',
        '<img src="https:\\\\t.example/p.gif">',
        '<img alt="1 > 0" src=" https://t.example/p.gif">',
    ],
    ids=["spaces", "tab-newline", "newlines", "upper-case", "tab-inside", "backslashes", "alt"],
)
def test_an_image_url_a_browser_would_clean_up_still_goes_through_the_proxy(markup: str) -> None:
    # Browsers strip surrounding whitespace, drop tabs and newlines and read "\" as "/" in an
    # http(s) URL: what they would fetch from the sender's server we must proxy (or block).
    shown = render_html_body(markup, show_images=True, image_origin="https://desk.example")
    assert shown.has_remote_images
    [src] = _img_sources(shown.srcdoc)
    assert src.startswith("https://desk.example/image-proxy/?src=")
    assert url_from_signed(parse_qs(urlsplit(src).query)["src"][0]).lower() == (
        "https://t.example/p.gif"
    )
    assert "t.example" not in shown.srcdoc.lower().replace(html.escape(src).lower(), "")
    blocked = render_html_body(markup)
    assert blocked.has_remote_images
    assert _img_sources(blocked.srcdoc) == []
    assert "t.example" in blocked.srcdoc  # kept as data-blocked-src, which fetches nothing


def test_an_image_url_that_is_neither_remote_nor_ours_is_dropped() -> None:
    # "https:host/x" has no host for us but may resolve against our own origin in a browser.
    shown = render_html_body(
        '<img src="https:t.example/p.gif"><img src="https:/t.example/p.gif">',
        show_images=True,
        image_origin="https://desk.example",
    )
    assert _img_sources(shown.srcdoc) == ["", ""]


def test_a_shown_image_link_names_the_viewer_it_was_rendered_for() -> None:
    shown = render_html_body(
        '<img src="https://t.example/p.gif">',
        show_images=True,
        image_origin="https://desk.example",
        viewer="agent:7",
    )
    [src] = _img_sources(shown.srcdoc)
    image = signed_image(parse_qs(urlsplit(src).query)["src"][0])
    assert image == SignedImage(url="https://t.example/p.gif", viewer="agent:7")
