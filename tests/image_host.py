"""A real HTTP server on loopback that plays a mail's remote image host."""

from __future__ import annotations

import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xd0\x30\x30" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = _png(3, 2)


@dataclass(frozen=True)
class Trickle:
    """A response sent one byte every `interval` seconds: each read finishes well within a
    per-read timeout, the whole never does. `headers_too` trickles the status line and headers."""

    body: bytes
    interval: float
    headers_too: bool = False
    content_type: str = "image/png"


@dataclass(frozen=True)
class Endless:
    """An image of no declared length whose bytes never stop (until the client hangs up)."""

    content_type: str = "image/png"


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        pass  # the proxy hangs up on an oversized or slow image by design: no traceback for that


class ImageHost:
    """What the fake image host serves per path, and the paths it was asked for."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.slow: dict[str, Trickle | Endless] = {}
        self.requested: list[str] = []
        self.user_agents: list[str] = []
        self.endless_bytes_sent = 0
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.requested.append(self.path)
                host.user_agents.append(self.headers.get("User-Agent", ""))
                slow = host.slow.get(self.path)
                if isinstance(slow, Trickle):
                    self._trickle(slow)
                    return
                if isinstance(slow, Endless):
                    self._endless(slow)
                    return
                status, headers, body = host.routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _trickle(self, trickle: Trickle) -> None:
                head = (
                    f"HTTP/1.1 200 OK\r\nContent-Type: {trickle.content_type}\r\n"
                    f"Content-Length: {len(trickle.body)}\r\nConnection: close\r\n\r\n"
                ).encode()
                if not trickle.headers_too:
                    self.wfile.write(head)
                    head = b""
                for index in range(len(head + trickle.body)):
                    self.wfile.write((head + trickle.body)[index : index + 1])
                    self.wfile.flush()
                    time.sleep(trickle.interval)
                self.close_connection = True

            def _endless(self, endless: Endless) -> None:
                self.wfile.write(
                    f"HTTP/1.1 200 OK\r\nContent-Type: {endless.content_type}\r\n"
                    "Connection: close\r\n\r\n".encode()
                )
                block = b"\x00" * 65536
                while True:  # ends when the client hangs up (BrokenPipe, kept quiet above)
                    self.wfile.write(block)
                    host.endless_bytes_sent += len(block)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


class SilentHost:
    """Accepts connections and never says a word: a TLS handshake with it waits forever."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.held.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()
