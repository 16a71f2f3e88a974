"""Every page sends a Content-Security-Policy that runs no inline script, and no template needs
one (docs/reliability.md, "Scripts on our own pages")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from channels_cfg.models import EmailChannel
from tests.factories import EmailChannelFactory, MessageFactory, ThreadFactory

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _directives(header: str) -> dict[str, list[str]]:
    policy: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        policy[name] = values
    return policy


def _assert_strict(header: str) -> dict[str, list[str]]:
    policy = _directives(header)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert set(policy["img-src"]) == {"'self'", "data:"}
    assert not any(
        "unsafe" in value for name, values in policy.items() if "script" in name for value in values
    )
    return policy


@pytest.mark.parametrize("path", ["/login/", "/django-admin/login/", "/no-such-page/"])
def test_anonymous_pages_send_the_policy(client: Client, path: str) -> None:
    _assert_strict(client.get(path)["Content-Security-Policy"])


@pytest.mark.parametrize(
    "path",
    [
        "/inbox/",
        "/inbox/?status=closed",
        "/settings/channels/",
        "/settings/channels/connect/",
        "/settings/rejected/",
        "/settings/blocked/",
    ],
)
def test_signed_in_pages_send_the_policy(admin_client: Client, path: str) -> None:
    response = admin_client.get(path)
    assert response.status_code == 200
    policy = _assert_strict(response["Content-Security-Policy"])
    # Only the thread page, whose message frames need them, allows inline style.
    assert "style-src-attr" not in policy


def test_a_refusal_page_sends_the_policy(agent_client: Client) -> None:
    response = agent_client.get("/settings/channels/")
    assert response.status_code == 403
    _assert_strict(response["Content-Security-Policy"])


def test_a_wizard_step_sends_the_policy(admin_client: Client, admin_agent) -> None:
    channel = EmailChannelFactory(workspace=admin_agent.workspace, status=EmailChannel.Status.DRAFT)
    response = admin_client.get(f"/settings/channels/connect/{channel.pk}/from/")
    assert response.status_code == 200
    _assert_strict(response["Content-Security-Policy"])


def test_the_thread_page_allows_the_message_frames_styles_and_no_script(
    admin_client: Client, admin_agent
) -> None:
    thread = ThreadFactory(workspace=admin_agent.workspace)
    MessageFactory(thread=thread, html='<p style="color:red">Hello</p>')
    response = admin_client.get(f"/inbox/threads/{thread.pk}/")
    assert response.status_code == 200
    policy = _assert_strict(response["Content-Security-Policy"])
    # A srcdoc frame inherits the page's policy: its <style> (by hash) and the mail's style
    # attributes are allowed, and nothing more.
    assert policy["style-src-attr"] == ["'unsafe-inline'"]
    assert policy["style-src-elem"][0] == "'self'"
    assert len(policy["style-src-elem"]) == 3 and policy["style-src-elem"][1].startswith("'sha256-")
    # The composer's editor (Trix) adds its two <style> elements with this page's nonce, which
    # it reads from a meta tag; no script source takes a nonce.
    nonce = policy["style-src-elem"][2]
    assert nonce.startswith("'nonce-")
    assert f'name="trix-csp-nonce" content="{nonce[7:-1]}"' in response.content.decode()
    assert all("nonce" not in value for value in policy.get("script-src", []))
    # The frame's own stricter policy is still inside its srcdoc.
    assert "default-src &amp;#x27;none&amp;#x27;" in response.content.decode()


def test_responses_with_their_own_policy_keep_it(client: Client, image_host, settings) -> None:
    from inbox.image_proxy import proxied_url
    from tests.image_host import PNG

    settings.IMAGE_PROXY_ALLOW_PRIVATE_NETWORKS = True
    image_host.routes["/logo.png"] = (200, {"Content-Type": "image/png"}, PNG)
    response = client.get(proxied_url(f"{image_host.origin}/logo.png", origin=""))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_the_frames_style_hash_matches_its_style_element() -> None:
    import base64
    import hashlib

    from inbox.rendering import page_policy_for_message_frames, render_html_body

    srcdoc = render_html_body("<p>Hi</p>").srcdoc
    (style,) = re.findall(r"<style>(.*?)</style>", srcdoc)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page_policy_for_message_frames()["style-src-elem"]


# --- No template needs inline script ---------------------------------------------------------

_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
_EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
_HTMX_EVAL = re.compile(r"\s(?:data-)?hx-on|\"js:|'js:|\bhx-vars\s*=", re.IGNORECASE)
_JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def test_the_scan_finds_templates() -> None:
    assert len(_templates()) > 10


@pytest.mark.parametrize(
    ("pattern", "sample"),
    [
        (_INLINE_SCRIPT, "<script>alert(1)</script>"),
        (_EVENT_HANDLER, '<button onclick="go()">'),
        (_HTMX_EVAL, '<div hx-on:click="go()">'),
        (_HTMX_EVAL, "<div hx-vals='\"js:{a: 1}\"'>"),
        (_JAVASCRIPT_URL, '<a href="javascript:go()">'),
    ],
)
def test_the_scan_recognises_inline_script(pattern: re.Pattern[str], sample: str) -> None:
    assert pattern.search(sample)
    assert not _INLINE_SCRIPT.search('<script src="/static/js/app.js" defer></script>')


@pytest.mark.parametrize(
    "template", _templates(), ids=lambda path: str(path.relative_to(TEMPLATES))
)
def test_no_template_carries_inline_script(template: Path) -> None:
    text = template.read_text()
    for pattern in (_INLINE_SCRIPT, _EVENT_HANDLER, _HTMX_EVAL, _JAVASCRIPT_URL):
        found = pattern.search(text)
        assert not found, f"{template.name}: {text[max(0, found.start() - 40) : found.end() + 40]}"
