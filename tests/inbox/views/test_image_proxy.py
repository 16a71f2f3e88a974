"""Remote images of a mail load through our proxy (docs/reliability.md, "Remote images and tracking
pixels"): only URLs we signed, only images, only from public addresses, never more than the size
cap. A real HTTP server on loopback stands in for the sender's image host."""

from __future__ import annotations

import threading
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from inbox import image_proxy
from inbox.image_proxy import proxied_url
from tests.image_host import PNG, Endless, ImageHost, SilentHost, Trickle


@pytest.fixture
def loopback_allowed(settings) -> None:
    settings.IMAGE_PROXY_ALLOW_PRIVATE_NETWORKS = True


def proxy_path(url: str, viewer: str = "") -> str:
    return proxied_url(url, origin="", viewer=viewer)


def test_a_signed_image_is_served_without_a_session_as_an_image_only(
    client: Client, image_host: ImageHost, loopback_allowed: None
) -> None:
    image_host.routes["/pixel.png?id=7"] = (200, {"Content-Type": "image/png"}, PNG)
    response = client.get(proxy_path(f"{image_host.origin}/pixel.png?id=7"))
    assert response.status_code == 200
    assert response.content == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert image_host.requested == ["/pixel.png?id=7"]


def test_a_redirect_is_followed_to_the_image(
    client: Client, image_host: ImageHost, loopback_allowed: None
) -> None:
    image_host.routes["/old.png"] = (302, {"Location": "/new.png"}, b"")
    image_host.routes["/new.png"] = (200, {"Content-Type": "image/png"}, PNG)
    response = client.get(proxy_path(f"{image_host.origin}/old.png"))
    assert (response.status_code, response.content) == (200, PNG)


def _with_payload_of(link: str, *, signed: str) -> str:
    """`link`'s signed payload with the timestamp and signature of `signed`."""
    payload = parse_qs(urlsplit(link).query)["src"][0].split(":")[0]
    stamp_and_signature = parse_qs(urlsplit(signed).query)["src"][0].split(":", 1)[1]
    return "/image-proxy/?" + urlencode({"src": f"{payload}:{stamp_and_signature}"})


def test_an_unsigned_or_altered_link_fetches_nothing(
    client: Client, image_host: ImageHost, loopback_allowed: None
) -> None:
    image_host.routes["/a.png"] = (200, {"Content-Type": "image/png"}, PNG)
    good = proxy_path(f"{image_host.origin}/a.png")
    # b.png's payload under a.png's timestamp and signature.
    other = proxy_path(f"{image_host.origin}/b.png")
    altered = _with_payload_of(other, signed=good)
    assert client.get(altered).status_code == 404
    assert client.get(f"/image-proxy/?src={image_host.origin}/a.png").status_code == 404
    assert image_host.requested == []


def test_private_and_loopback_addresses_are_refused(client: Client, image_host: ImageHost) -> None:
    # The default: mail cannot make the server fetch from inside its own network (SSRF).
    image_host.routes["/admin.png"] = (200, {"Content-Type": "image/png"}, PNG)
    for url in (
        f"{image_host.origin}/admin.png",
        "http://localhost/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/x.png",
    ):
        assert client.get(proxy_path(url)).status_code == 502, url
    assert image_host.requested == []


def test_a_redirect_into_the_private_network_is_refused(
    client: Client, image_host: ImageHost, settings, monkeypatch
) -> None:
    # The first hop counts as public here; the redirect it answers must be checked again.
    real_check = image_proxy._allowed_address

    def first_hop_public(host: str, port: int) -> str:
        if port == int(image_host.origin.rsplit(":", 1)[1]):
            return "127.0.0.1"
        return real_check(host, port)

    monkeypatch.setattr(image_proxy, "_allowed_address", first_hop_public)
    image_host.routes["/hop.png"] = (302, {"Location": "http://10.0.0.5/internal.png"}, b"")
    response = client.get(proxy_path(f"{image_host.origin}/hop.png"))
    assert response.status_code == 502
    assert image_host.requested == ["/hop.png"]


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Content-Type": "text/html"}, b"<script>alert(1)</script>"),
        ({"Content-Type": "image/svg+xml"}, b"<svg onload='alert(1)'/>"),
        ({}, PNG),
        # One byte over the default IMAGE_PROXY_MAX_BYTES (5 MB).
        ({"Content-Type": "image/png"}, b"\x00" * (5 * 1024 * 1024 + 1)),
    ],
    ids=["html", "svg", "no-type", "too-large"],
)
def test_what_is_not_a_raster_image_within_the_cap_is_not_served(
    client: Client, image_host: ImageHost, loopback_allowed: None, headers, body
) -> None:
    image_host.routes["/thing"] = (200, headers, body)
    assert client.get(proxy_path(f"{image_host.origin}/thing")).status_code == 502


def test_an_upstream_error_is_a_broken_image_not_a_server_error(
    client: Client, image_host: ImageHost, loopback_allowed: None
) -> None:
    assert client.get(proxy_path(f"{image_host.origin}/missing.png")).status_code == 502


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers-and-body"])
def test_a_server_trickling_a_byte_at_a_time_is_given_up_on_at_the_deadline(
    client: Client, image_host: ImageHost, loopback_allowed: None, settings, headers_too: bool
) -> None:
    # Every byte comes well within the per-read timeout; only an overall deadline ends it.
    # Production's deadline is 10 s; the test uses 1 s to stay fast.
    settings.IMAGE_PROXY_DEADLINE_SECONDS = 1.0
    image_host.slow["/slow.png"] = Trickle(PNG, interval=0.1, headers_too=headers_too)
    started = time.monotonic()
    response = client.get(proxy_path(f"{image_host.origin}/slow.png"))
    elapsed = time.monotonic() - started
    assert response.status_code == 502
    assert 0.9 < elapsed < 2.0, elapsed


def test_a_tls_handshake_that_never_ends_is_given_up_on_at_the_deadline(
    client: Client, loopback_allowed: None, settings
) -> None:
    # A read would wait 5 s for the silent server; the deadline (1 s here) ends the handshake.
    settings.IMAGE_PROXY_DEADLINE_SECONDS = 1.0
    host = SilentHost()
    try:
        started = time.monotonic()
        response = client.get(proxy_path(f"https://127.0.0.1:{host.port}/pixel.png"))
        elapsed = time.monotonic() - started
    finally:
        host.close()
    assert response.status_code == 502
    assert 0.9 < elapsed < 2.0, elapsed


def test_an_image_of_no_declared_length_stops_at_the_byte_budget(
    client: Client, image_host: ImageHost, loopback_allowed: None, settings
) -> None:
    settings.IMAGE_PROXY_MAX_BYTES = 100_000
    image_host.slow["/endless.png"] = Endless()
    response = client.get(proxy_path(f"{image_host.origin}/endless.png"))
    assert response.status_code == 502
    # We hung up soon after the budget (the kernel's socket buffers hold the rest).
    assert image_host.endless_bytes_sent < 100_000 + 16 * 1024 * 1024


def test_a_slow_image_within_the_deadline_is_served(
    client: Client, image_host: ImageHost, loopback_allowed: None, settings
) -> None:
    settings.IMAGE_PROXY_DEADLINE_SECONDS = 5.0
    image_host.slow["/slowish.png"] = Trickle(PNG[:20], interval=0.01, content_type="image/png")
    response = client.get(proxy_path(f"{image_host.origin}/slowish.png"))
    assert (response.status_code, response.content) == (200, PNG[:20])


def _fetch_in_background(path: str, remote_addr: str) -> threading.Thread:
    thread = threading.Thread(target=lambda: Client(REMOTE_ADDR=remote_addr).get(path), daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("viewer", "other_viewer", "address", "other_address"),
    [
        ("agent:1", "agent:2", "127.0.0.1", "127.0.0.1"),
        # A link signed without a viewer is limited per client address.
        ("", "", "203.0.113.5", "203.0.113.6"),
    ],
    ids=["per-viewer", "per-address"],
)
def test_concurrent_fetches_are_limited_per_viewer(
    image_host: ImageHost,
    loopback_allowed: None,
    settings,
    viewer: str,
    other_viewer: str,
    address: str,
    other_address: str,
) -> None:
    settings.IMAGE_PROXY_MAX_CONCURRENT = 2
    settings.IMAGE_PROXY_DEADLINE_SECONDS = 1.5
    image_host.slow["/slow.png"] = Trickle(PNG, interval=0.1)
    image_host.routes["/fast.png"] = (200, {"Content-Type": "image/png"}, PNG)
    slow = proxy_path(f"{image_host.origin}/slow.png", viewer)
    fast = proxy_path(f"{image_host.origin}/fast.png", viewer)
    holders = [_fetch_in_background(slow, address) for _ in range(2)]
    deadline = time.monotonic() + 5
    while image_host.requested.count("/slow.png") < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    over = Client(REMOTE_ADDR=address).get(fast)
    assert over.status_code == 429
    assert "/fast.png" not in image_host.requested
    elsewhere = Client(REMOTE_ADDR=other_address).get(
        proxy_path(f"{image_host.origin}/fast.png", other_viewer)
    )
    assert elsewhere.status_code == 200
    for holder in holders:
        holder.join(timeout=10)
    # The slots are given back when the fetches end.
    assert Client(REMOTE_ADDR=address).get(fast).status_code == 200
