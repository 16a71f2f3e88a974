"""Images pasted into the composer: data: URLs become inline parts (cid:), nothing else of an
image survives, and the sanitizer keeps only images that point at a part."""

from __future__ import annotations

import base64

import pytest

from inbox.outbound.compose import composer_inline_images, reply_body, sanitize_composer_html
from tests.image_host import PNG

DATA = "data:image/png;base64," + base64.b64encode(PNG).decode()


def test_each_distinct_data_image_becomes_one_inline_part() -> None:
    body = f'<div>a<img src="{DATA}" width="3">b<img src="{DATA}">c<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></div>'
    html, parts = composer_inline_images(body, content_id_suffix="x1")
    assert [(part.filename, part.content_type, part.content_id) for part in parts] == [
        ("image-1.png", "image/png", "image-1.x1@inline"),
        ("image-2.gif", "image/gif", "image-2.x1@inline"),
    ]
    assert parts[0].content == PNG
    assert html == (
        '<div>a<img src="cid:image-1.x1@inline" width="3">b<img src="cid:image-1.x1@inline">'
        'c<img src="cid:image-2.x1@inline"></div>'
    )


@pytest.mark.parametrize(
    "image",
    [
        '<img src="https://tracker.example/pixel.gif">',
        '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">',  # SVG may carry script
        '<img src="data:text/html;base64,PGI+">',
        '<img src="data:image/png;base64,!!!not base64!!!">',
        "<img>",
        '<img src="cid:someone-elses-part">',
    ],
)
def test_any_other_image_is_removed(image: str) -> None:
    html, parts = composer_inline_images(f"<p>x{image}</p>", content_id_suffix="s")
    assert (html, parts) == ("<p>x</p>", [])


@pytest.mark.parametrize(
    ("composer_html", "kept"),
    [
        (
            '<img src="cid:a@inline" alt="A" width="3" onerror="x()">',
            '<img src="cid:a@inline" alt="A" width="3">',
        ),
        (f'<img src="{DATA}">', "<img>"),
        ('<img src="https://x.example/i.png">', "<img>"),
        ('<a href="cid:a@inline">l</a>', '<a rel="noopener noreferrer">l</a>'),
        (
            '<a href="https://x.example">l</a>',
            '<a href="https://x.example" rel="noopener noreferrer">l</a>',
        ),
        (
            '<figure><img src="cid:a"><figcaption>a.png 2 KB</figcaption></figure>',
            '<img src="cid:a">',
        ),
        ("<p>x<script>bad()</script></p>", "<p>x</p>"),
    ],
)
def test_the_sanitizer_keeps_only_images_of_inline_parts(composer_html: str, kept: str) -> None:
    assert sanitize_composer_html(composer_html, inline_images=True) == kept


def test_without_inline_images_no_image_is_kept() -> None:
    assert sanitize_composer_html('<p>x<img src="cid:a@inline"></p>') == "<p>x</p>"
    body = reply_body(body_html='<p>x<img src="cid:a@inline"></p>', body_text="x")
    assert body.html == "<p>x</p>"
    body = reply_body(
        body_html='<p>x<img src="cid:a@inline"></p>', body_text="x", inline_images=True
    )
    assert body.html == '<p>x<img src="cid:a@inline"></p>'
