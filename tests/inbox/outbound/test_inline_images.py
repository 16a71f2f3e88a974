"""compose.inline_images: a signature's images pointed at their inline parts, as a table."""

from __future__ import annotations

import pytest

from inbox.outbound.compose import AttachmentFile, inline_images

LOGO = AttachmentFile("logo.png", b"\x89PNG...", "image/png", content_id="logo.1@inline")
BADGE = AttachmentFile("badge.gif", b"GIF89a...", "image/gif", content_id="badge.2@inline")
IMAGES = {"/settings/signature-images/1/": LOGO, "/settings/signature-images/2/": BADGE}


@pytest.mark.parametrize(
    ("signature", "html", "parts"),
    [
        ("<p>Best, Ana</p>", "<p>Best, Ana</p>", []),
        (
            '<p><img src="/settings/signature-images/1/" alt="Acme"></p>',
            '<p><img src="cid:logo.1@inline" alt="Acme"></p>',
            [LOGO],
        ),
        (
            '<img src="/settings/signature-images/2/"><img src="/settings/signature-images/1/">'
            '<img src="/settings/signature-images/2/">',
            '<img src="cid:badge.2@inline"><img src="cid:logo.1@inline"><img src="cid:badge.2@inline">',
            [BADGE, LOGO],
        ),
        # No part for it (deleted, another workspace's, remote): the image goes, nothing to fetch.
        ('<p>Hi<img src="/settings/signature-images/9/"></p>', "<p>Hi</p>", []),
        ('<p>Hi<img src="https://tracker.example/p.gif"></p>', "<p>Hi</p>", []),
        ('<p>Hi<IMG alt="x"></p>', "<p>Hi</p>", []),
    ],
)
def test_each_image_points_at_its_inline_part_or_goes(
    signature: str, html: str, parts: list[AttachmentFile]
) -> None:
    assert inline_images(signature, IMAGES) == (html, parts)


def test_an_image_without_a_content_id_is_not_inlined() -> None:
    plain = AttachmentFile("logo.png", b"\x89PNG", "image/png")
    html, parts = inline_images('<img src="/x/">', {"/x/": plain})
    assert (html, parts) == ("", [])
