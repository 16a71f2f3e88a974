"""A tiny authoritative DNS server on loopback UDP for tests: answers TXT queries from a table
the test fills, NXDOMAIN for names it does not know, and can go silent (to test timeouts).
Built on dnspython's wire format, so the resolver under test speaks real DNS to it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import pytest

from channels_cfg.dns_records import DnsRecord

TXT_CHUNK = 255  # a TXT character-string holds at most 255 bytes (RFC 1035 §3.3)


class DnsServer:
    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.port: int = self.socket.getsockname()[1]
        self.records: dict[str, list[list[bytes]]] = {}
        self.silent = False
        self.queries: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def set_txt(self, name: str, *values: str | list[str]) -> None:
        """Publish TXT records at `name` (replacing any): a str is split into 255-byte chunks as
        DNS hosts do, a list gives the chunks explicitly."""
        key = name.lower().rstrip(".")
        self.records[key] = [
            [chunk.encode() for chunk in value]
            if isinstance(value, list)
            else [
                value.encode()[i : i + TXT_CHUNK] for i in range(0, len(value.encode()), TXT_CHUNK)
            ]
            for value in values
        ]

    def remove(self, name: str) -> None:
        self.records.pop(name.lower().rstrip("."), None)

    def start(self) -> DnsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.socket.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, client = self.socket.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            try:
                query = dns.message.from_wire(data)
            except dns.exception.DNSException:  # garbage on the port: ignored, as servers do
                continue
            if self.silent:
                continue
            self.socket.sendto(self._answer(query).to_wire(), client)

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        self.queries.append(name)
        if name not in self.records:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        if question.rdtype == dns.rdatatype.TXT and self.records[name]:
            rrset = response.find_rrset(
                response.answer,
                question.name,
                dns.rdataclass.IN,
                dns.rdatatype.TXT,
                create=True,
            )
            for strings in self.records[name]:
                rrset.add(
                    dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, strings), ttl=60
                )
        return response


@contextmanager
def running_dns_server() -> Iterator[DnsServer]:
    server = DnsServer().start()
    try:
        yield server
    finally:
        server.stop()


def publish(server: DnsServer, records: Iterable[DnsRecord]) -> None:
    """Publish what Settings > Sending domains asks the admin to publish."""
    for record in records:
        server.set_txt(record.name, record.value)


@pytest.fixture(name="dns_server")
def dns_server_fixture(settings: Any) -> Iterator[DnsServer]:
    """A loopback DNS server that Verify asks (DNS_RESOLVER_NAMESERVERS points at it). Import
    this fixture into a test module to use it."""
    with running_dns_server() as server:
        settings.DNS_RESOLVER_NAMESERVERS = [server.address]
        settings.DNS_RESOLVER_TIMEOUT_SECONDS = 0.5
        yield server
