"""Remote images in mail, fetched by us when an agent clicks "Show images" (docs/reliability.md,
"Remote images and tracking pixels").

The agent's browser then asks only our origin for them, so a tracking pixel learns neither the
agent's address nor browser, and the message frame's CSP can allow images from our origin alone.
A proxied URL carries a signature (only URLs we rewrote are fetched, so we are no open proxy)
and needs no session: the frame is sandboxed to an opaque origin, so the browser sends it no
cookies. The signature also names the agent the link was rendered for, which is who a fetch is
counted against. Fetching refuses private, loopback and link-local addresses at every redirect,
and connects to the address it checked (no second DNS lookup to rebind), so mail cannot make us
reach inside our own network (SSRF).

A fetch is bounded in time as a whole, not per read (a server trickling one byte a second held
a fetch for 25 s under a 5 s read timeout), and in bytes; each viewer has a few fetches in
flight at most, so one mail full of slow images cannot hold every web worker.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import logging
import math
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# A single read waits this long at most; the whole fetch IMAGE_PROXY_DEADLINE_SECONDS.
FETCH_TIMEOUT_SECONDS = 5
MAX_REDIRECTS = 3
SIGNATURE_MAX_AGE_SECONDS = 24 * 60 * 60
READ_CHUNK_BYTES = 64 * 1024
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


@dataclass(frozen=True)
class SignedImage:
    """What a proxied link names: the remote URL, and whom it was rendered for ("" if nobody)."""

    url: str
    viewer: str


def proxied_url(url: str, *, origin: str, viewer: str = "") -> str:
    """Our absolute URL that serves the remote image at `url` to `viewer` (e.g. "agent:12")."""
    if url.startswith("//"):
        url = "https:" + url
    payload = {"u": url, "v": viewer} if viewer else {"u": url}
    signed = signing.TimestampSigner(salt=_SALT).sign_object(payload)
    return f"{origin}{reverse('image_proxy')}?{urlencode({'src': signed})}"


def signed_image(value: str) -> SignedImage | None:
    """What a proxied link names, or None when it was not signed by us (or is old)."""
    try:
        payload = signing.TimestampSigner(salt=_SALT).unsign_object(
            value, max_age=SIGNATURE_MAX_AGE_SECONDS
        )
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), str):
        return None
    return SignedImage(url=payload["u"], viewer=str(payload.get("v") or ""))


def url_from_signed(value: str) -> str | None:
    """The remote URL a proxied link names, or None when it was not signed by us (or is old)."""
    image = signed_image(value)
    return image.url if image else None


@contextmanager
def fetch_slot(viewer: str) -> Iterator[bool]:
    """Yields whether `viewer` may start one more fetch (IMAGE_PROXY_MAX_CONCURRENT at once).

    A counter in the cache (Redis in production, shared by every web process) that expires a
    little after the fetch deadline, so a process that dies mid-fetch leaks its slot for
    seconds only. If the cache is down the fetch goes ahead: the deadline still bounds it.
    """
    key = "image-proxy:fetching:" + hashlib.sha256(viewer.encode()).hexdigest()[:32]
    ttl = math.ceil(settings.IMAGE_PROXY_DEADLINE_SECONDS) + 5
    try:
        counted = True
        in_flight = 1 if cache.add(key, 1, timeout=ttl) else cache.incr(key)
    except ValueError:  # the counter expired between add and incr
        counted, in_flight = False, 1
    except RedisError as error:
        logger.warning("Image proxy: no fetch limit, the cache is unreachable: %s", error)
        counted, in_flight = False, 1
    try:
        yield in_flight <= settings.IMAGE_PROXY_MAX_CONCURRENT
    finally:
        if counted:
            # Expired (or unreachable): nothing to give back.
            with suppress(ValueError, RedisError):
                cache.decr(key)


class _Deadline:
    """One clock for the whole fetch: every redirect, connect, TLS handshake, header and body."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends_at = time.monotonic() + seconds

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.ends_at

    def error(self) -> ImageFetchError:
        return ImageFetchError(f"No image within {self.seconds:g} s")

    def remaining(self) -> float:
        left = self.ends_at - time.monotonic()
        if left <= 0:
            raise self.error()
        return left


def fetch_image(url: str) -> FetchedImage:
    """The image at `url`, within IMAGE_PROXY_DEADLINE_SECONDS and IMAGE_PROXY_MAX_BYTES."""
    deadline = _Deadline(settings.IMAGE_PROXY_DEADLINE_SECONDS)
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ImageFetchError(f"Not an http(s) URL: {url[:200]}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = _allowed_address(parts.hostname, port)
        connection = _connection(parts.scheme, parts.hostname, port, address, deadline)
        try:
            with _hang_up_at_deadline(connection, deadline):
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
                return _image_from(response, deadline)
        except (OSError, http.client.HTTPException) as error:
            if deadline.passed:
                raise deadline.error() from error
            raise ImageFetchError(f"{type(error).__name__}: {error}") from error
        finally:
            connection.close()
    raise ImageFetchError("Too many redirects")


@contextmanager
def _hang_up_at_deadline(connection: _PinnedConnection, deadline: _Deadline) -> Iterator[None]:
    """Shut the connection's socket down when the deadline passes, whatever it is waiting for.

    A read timeout is per read; a blocked read (of a header line, a TLS record, the body) only
    returns early when its socket is shut down, which makes it see the end of the stream.
    """
    timer = threading.Timer(deadline.remaining(), connection.hang_up)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _image_from(response: http.client.HTTPResponse, deadline: _Deadline) -> FetchedImage:
    if response.status != 200:
        raise ImageFetchError(f"Upstream answered {response.status}")
    content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
    if content_type not in IMAGE_TYPES:
        raise ImageFetchError(f"Not an image we show: {content_type[:100] or 'no type'}")
    budget = settings.IMAGE_PROXY_MAX_BYTES
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > budget:
        raise ImageFetchError(f"Image of {declared} bytes is over the limit")
    chunks: list[bytes] = []
    received = 0
    # read1 returns what one read brings: the deadline and the budget are checked between
    # reads, whatever the server declared (or did not).
    while chunk := response.read1(READ_CHUNK_BYTES):
        received += len(chunk)
        if received > budget:
            raise ImageFetchError("Image is over the limit")
        chunks.append(chunk)
    if deadline.passed:
        raise deadline.error()
    if response.length:
        raise ImageFetchError(f"Image cut short, {response.length} bytes missing")
    return FetchedImage(content=b"".join(chunks), content_type=content_type)


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


class _PinnedConnection(http.client.HTTPConnection):
    """Connects to the address we checked, whatever DNS says a moment later."""

    def __init__(self, host: str, port: int, address: str, deadline: _Deadline) -> None:
        super().__init__(host, port, timeout=min(FETCH_TIMEOUT_SECONDS, deadline.remaining()))
        self.address = address
        self.deadline = deadline
        self._lock = threading.Lock()
        self._hung_up = False
        # Our own reference: http.client drops self.sock once the response owns the connection.
        self._open: socket.socket | None = None

    def _open_socket(self) -> socket.socket:
        timeout = min(FETCH_TIMEOUT_SECONDS, self.deadline.remaining())
        sock = socket.create_connection((self.address, self.port), timeout)
        with self._lock:
            if self._hung_up:
                sock.close()
                raise self.deadline.error()
            self.sock = self._open = sock
        return sock

    def connect(self) -> None:
        self._open_socket()

    def hang_up(self) -> None:
        """Called by the deadline's timer thread: wake whatever read is blocked."""
        with self._lock:
            self._hung_up = True
            sock = self._open
        if sock is not None:
            # socket.socket's own shutdown, also for an SSLSocket: the TLS object is left to the
            # thread that is reading with it. OSError: already closed.
            with suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _PinnedHTTPSConnection(_PinnedConnection):
    default_port = http.client.HTTPS_PORT  # so that the Host header names no ":443"

    def __init__(self, host: str, port: int, address: str, deadline: _Deadline) -> None:
        super().__init__(host, port, address, deadline)
        self.tls = ssl.create_default_context()

    def connect(self) -> None:
        sock = self._open_socket()
        wrapped = self.tls.wrap_socket(
            sock, server_hostname=self.host, do_handshake_on_connect=False
        )
        with self._lock:
            # The plain socket handed its descriptor to `wrapped`: a hang-up in between found
            # nothing to shut down.
            if self._hung_up:
                wrapped.close()
                raise self.deadline.error()
            self.sock = self._open = wrapped
        # Now that self.sock is the TLS socket, the deadline can interrupt the handshake.
        wrapped.do_handshake()


def _connection(
    scheme: str, host: str, port: int, address: str, deadline: _Deadline
) -> _PinnedConnection:
    if scheme == "https":
        return _PinnedHTTPSConnection(host, port, address, deadline)
    return _PinnedConnection(host, port, address, deadline)
