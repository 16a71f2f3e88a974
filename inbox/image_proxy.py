"""Remote images in mail, fetched by us when an agent clicks "Show images" (docs/reliability.md, "Remote images and tracking pixels").

The agent's browser then asks only our origin for them, so a tracking pixel learns neither the
agent's address nor browser, and the message frame's CSP can allow images from our origin alone.
A proxied URL carries a signature (only URLs we rewrote are fetched, so we are no open proxy)
and needs no session: the frame is sandboxed to an opaque origin, so the browser sends it no
cookies. Fetching refuses private, loopback and link-local addresses at every redirect, and
connects to the address it checked (no second DNS lookup to rebind), so mail cannot make us
reach inside our own network (SSRF).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse

MAX_IMAGE_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 5
MAX_REDIRECTS = 3
SIGNATURE_MAX_AGE_SECONDS = 24 * 60 * 60
# Raster formats only: an SVG is a document that can carry script and links.
IMAGE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp"}
)
_SALT = "inbox.image-proxy"


class ImageFetchError(Exception):
    """The image cannot be served; the message says why, for the log."""


@dataclass(frozen=True)
class FetchedImage:
    content: bytes
    content_type: str


def proxied_url(url: str, *, origin: str) -> str:
    """Our absolute URL that serves the remote image at `url`."""
    if url.startswith("//"):
        url = "https:" + url
    signed = signing.TimestampSigner(salt=_SALT).sign(url)
    return f"{origin}{reverse('image_proxy')}?{urlencode({'src': signed})}"


def url_from_signed(value: str) -> str | None:
    """The remote URL a proxied link names, or None when it was not signed by us (or is old)."""
    try:
        return signing.TimestampSigner(salt=_SALT).unsign(value, max_age=SIGNATURE_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None


def fetch_image(url: str) -> FetchedImage:
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ImageFetchError(f"Not an http(s) URL: {url[:200]}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = _allowed_address(parts.hostname, port)
        connection = _connection(parts.scheme, parts.hostname, port, address)
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request(
                "GET",
                target,
                headers={"User-Agent": "HelpdeskImageProxy/1", "Accept": "image/*"},
            )
            response = connection.getresponse()
            if response.status in {301, 302, 303, 307, 308}:
                url = urljoin(url, response.getheader("Location", ""))
                continue
            return _image_from(response)
        except (OSError, http.client.HTTPException) as error:
            raise ImageFetchError(f"{type(error).__name__}: {error}") from error
        finally:
            connection.close()
    raise ImageFetchError("Too many redirects")


def _image_from(response: http.client.HTTPResponse) -> FetchedImage:
    if response.status != 200:
        raise ImageFetchError(f"Upstream answered {response.status}")
    content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
    if content_type not in IMAGE_TYPES:
        raise ImageFetchError(f"Not an image we show: {content_type[:100] or 'no type'}")
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > MAX_IMAGE_BYTES:
        raise ImageFetchError(f"Image of {declared} bytes is over the limit")
    content = response.read(MAX_IMAGE_BYTES + 1)
    if len(content) > MAX_IMAGE_BYTES:
        raise ImageFetchError("Image is over the limit")
    return FetchedImage(content=content, content_type=content_type)


def _allowed_address(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise ImageFetchError(f"Cannot resolve {host[:200]}: {error}") from error
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise ImageFetchError(f"No address for {host[:200]}")
    if not settings.IMAGE_PROXY_ALLOW_PRIVATE_NETWORKS:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise ImageFetchError(f"{host[:200]} resolves to a non-public address")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address we checked, whatever DNS says a moment later."""

    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=FETCH_TIMEOUT_SECONDS)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=FETCH_TIMEOUT_SECONDS, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def _connection(scheme: str, host: str, port: int, address: str) -> http.client.HTTPConnection:
    if scheme == "https":
        return _PinnedHTTPSConnection(host, port, address)
    return _PinnedHTTPConnection(host, port, address)
