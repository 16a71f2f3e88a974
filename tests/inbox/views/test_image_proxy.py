"""Remote images of a mail load through our proxy (docs/reliability.md, "Remote images and tracking pixels"): only URLs we signed,
only images, only from public addresses, never more than the size cap. A real HTTP server on
loopback stands in for the sender's image host."""

from __future__ import annotations

import pytest
from django.test import Client

from inbox import image_proxy
from inbox.image_proxy import proxied_url
from tests.image_host import PNG, ImageHost


@pytest.fixture
def loopback_allowed(settings) -> None:
    settings.IMAGE_PROXY_ALLOW_PRIVATE_NETWORKS = True


def proxy_path(url: str) -> str:
    return proxied_url(url, origin="")


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


def test_an_unsigned_or_altered_link_fetches_nothing(
    client: Client, image_host: ImageHost, loopback_allowed: None
) -> None:
    image_host.routes["/a.png"] = (200, {"Content-Type": "image/png"}, PNG)
    good = proxy_path(f"{image_host.origin}/a.png")
    altered = good.replace("a.png", "b.png")
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
        ({"Content-Type": "image/png"}, b"\x00" * (image_proxy.MAX_IMAGE_BYTES + 1)),
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
