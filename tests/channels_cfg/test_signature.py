import pytest

from channels_cfg.signature import (
    image_type,
    render_signature,
    sanitize_signature,
    signature_image_id,
    signature_image_ids,
    signature_image_src,
    signature_text,
)

OURS = "/settings/signature-images/7/"


def test_tokens_are_replaced_with_escaped_names():
    rendered = render_signature(
        "<p>Best, {{first_name}}<br>{{ full_name }} at Acme</p>",
        full_name="Ana <b>Lopez</b>",
        first_name="Ana",
    )
    assert rendered == "<p>Best, Ana<br>Ana &lt;b&gt;Lopez&lt;/b&gt; at Acme</p>"


def test_unknown_tokens_and_template_syntax_stay_literal():
    rendered = render_signature(
        "{{ settings.SECRET_KEY }} {% now 'Y' %}", full_name="A", first_name="A"
    )
    assert rendered == "{{ settings.SECRET_KEY }} {% now 'Y' %}"


def test_sanitize_keeps_formatting_and_drops_scripts():
    cleaned = sanitize_signature(
        '<b>Bold</b><script>alert(1)</script><a href="javascript:x">x</a>'
        f'<img src="{OURS}" onerror="x()">'
    )
    assert "<b>Bold</b>" in cleaned
    assert "script" not in cleaned and "javascript" not in cleaned and "onerror" not in cleaned
    assert f'<img src="{OURS}">' in cleaned


@pytest.mark.parametrize(
    ("stored", "kept"),
    [
        (f'<img src="{OURS}" alt="Acme logo">', f'<img src="{OURS}" alt="Acme logo">'),
        (
            f'<img src="{OURS}" width="120" height="40">',
            f'<img src="{OURS}" width="120" height="40">',
        ),
        (
            f'<p>Hi<img src="{OURS}" alt=\'" onerror="x\'></p>',
            f'<p>Hi<img src="{OURS}" alt="&quot; onerror=&quot;x"></p>',
        ),
        # Anything that is not exactly one of our images goes, the tag with it.
        ('<p>Hi<img src="https://tracker.example/p.gif"></p>', "<p>Hi</p>"),
        ('<img src="http://tracker.example/p.gif">', ""),
        ('<img src="//tracker.example/settings/signature-images/7/">', ""),
        ('<img src="https://app.example/settings/signature-images/7/">', ""),
        ('<img src="/settings/signature-images/7/?track=1">', ""),
        ('<img src="/settings/signature-images/7">', ""),
        ('<img src="/settings/signature-images/x/">', ""),
        ('<img src="/settings/channels/">', ""),
        ('<img src="data:image/png;base64,iVBORw0KGgo=">', ""),
        ('<img src="javascript:alert(1)">', ""),
        ('<img src="cid:logo@acme">', ""),
        ('<img alt="no source">', ""),
        ('<IMG SRC="https://tracker.example/p.gif">', ""),
    ],
)
def test_sanitize_keeps_our_uploaded_images_only(stored: str, kept: str) -> None:
    assert sanitize_signature(stored) == kept


@pytest.mark.parametrize(
    ("stored", "kept"),
    [
        (
            '<a href="https://acme.example/">Site</a>',
            '<a href="https://acme.example/" rel="noopener noreferrer">Site</a>',
        ),
        (
            '<a href="http://acme.example/">Site</a>',
            '<a href="http://acme.example/" rel="noopener noreferrer">Site</a>',
        ),
        (
            '<a href="mailto:help@acme.example">Mail</a>',
            '<a href="mailto:help@acme.example" rel="noopener noreferrer">Mail</a>',
        ),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="data:text/html,x">x</a>', '<a rel="noopener noreferrer">x</a>'),
        # A relative link means nothing in the contact's mail client.
        ('<a href="/settings/">x</a>', '<a rel="noopener noreferrer">x</a>'),
        (
            '<a href="https://acme.example/" onclick="x()" style="color:red">x</a>',
            '<a href="https://acme.example/" rel="noopener noreferrer">x</a>',
        ),
    ],
)
def test_sanitize_keeps_web_and_mail_links_only(stored: str, kept: str) -> None:
    assert sanitize_signature(stored) == kept


def test_signature_image_src_and_id_round_trip() -> None:
    assert signature_image_src(7) == OURS
    assert signature_image_id(OURS) == 7
    assert signature_image_id("/settings/channels/7/edit/") is None
    assert signature_image_ids(
        f'<img src="{OURS}"><img src="/settings/signature-images/9/"><img src="{OURS}">'
    ) == [7, 9]


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00", "image/gif"),
        (b"GIF87a\x01\x00\x01\x00\x80\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"', None),
        (b"<html><script>alert(1)</script>", None),
        (b"%PDF-1.7\n%\xe2\xe3", None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"BM6\x00\x00\x00\x00\x00", None),  # BMP: not a mail client's inline image
        (b"", None),
    ],
)
def test_image_type_comes_from_the_bytes(head: bytes, content_type: str | None) -> None:
    assert image_type(head) == content_type


def test_signature_text_keeps_line_breaks():
    assert signature_text("<p>Best,<br>Ana &amp; team</p>") == "Best,\nAna & team"
