"""Replies from a verified sending domain leave DKIM-signed with its key: the bytes an SMTP
server receives verify with dkimpy against the DKIM record served by a loopback DNS server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes

import dkim as dkimpy
import dns.message
import dns.query
import dns.rdatatype
import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from channels_cfg.dns_records import records_to_publish
from channels_cfg.models import EmailChannel, SendingDomain
from channels_cfg.services.sending_domains import sending_domain_add, sending_domain_verify
from inbox.models import Message
from tests.channels_cfg.dns_server import DnsServer, dns_server_fixture, publish  # noqa: F401
from tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db


class Capture:
    """An SMTP server's DATA handler that keeps each message's bytes as received."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls it by this name
        self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings) -> Iterator[Capture]:
    """Replies go out through Django's SMTP backend to a real SMTP server on loopback."""
    capture = Capture()
    port = _free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield capture
    controller.stop()


@pytest.fixture
def sending_domain(workspace, dns_server: DnsServer) -> SendingDomain:
    """acme.example, added in Settings and verified against the records it asked for."""
    domain = sending_domain_add(workspace=workspace, domain="acme.example")
    publish(
        dns_server,
        records_to_publish(
            domain=domain.domain,
            selector=domain.dkim_selector,
            public_key=domain.dkim_public_key,
            spf_include=settings.SENDING_SPF_INCLUDE,
        ),
    )
    assert sending_domain_verify(sending_domain=domain, now=timezone.now()).verified
    return domain


@pytest.fixture
def from_acme(channel: EmailChannel) -> EmailChannel:
    channel.from_address_mode = EmailChannel.FromAddressMode.CUSTOM
    channel.custom_from_address = "help@acme.example"
    channel.save()
    return channel


def dns_txt(server: DnsServer):
    """dkimpy's `dnsfunc`, asking the loopback DNS server over UDP like a receiver would."""

    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        query = dns.message.make_query(name.decode(), dns.rdatatype.TXT)
        answer = dns.query.udp(query, "127.0.0.1", port=server.port, timeout=timeout)
        for rrset in answer.answer:
            for record in rrset:
                return b"".join(record.strings)
        return None

    return lookup


@pytest.fixture
def post_reply(agent_client, conversation, django_capture_on_commit_callbacks):
    """Post the composer and run the send it queued (the task, in-process)."""

    def post(**data: object) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = agent_client.post(
                f"/inbox/threads/{conversation.pk}/reply/",
                {"body": "Have you tried water?", **data},
            )
        assert response.status_code == 302

    return post


@pytest.fixture
def send_reply(post_reply, smtp_server):
    """Post the composer; the bytes the SMTP server received."""

    def send(**data: object) -> bytes:
        post_reply(**data)
        return _received(smtp_server)

    return send


def _received(capture: Capture) -> bytes:
    message = Message.objects.get(direction=Message.Direction.OUT)
    assert message.delivery_status == Message.DeliveryStatus.SENT, message.delivery_error
    assert len(capture.messages) == 1
    return capture.messages[0]


def test_a_reply_from_a_verified_domain_is_dkim_signed_as_sent(
    from_acme, sending_domain, send_reply, dns_server
) -> None:
    raw = send_reply()
    headers = message_from_bytes(raw)
    assert headers["From"].endswith("<help@acme.example>")
    signature = " ".join(headers["DKIM-Signature"].split())
    assert "d=acme.example;" in signature and f"s={sending_domain.dkim_selector};" in signature
    assert "c=relaxed/relaxed;" in signature
    signed = signature.split("h=")[1].split(";")[0]
    for name in ("from", "to", "subject", "date", "message-id", "in-reply-to", "references"):
        assert name in signed
    assert dkimpy.verify(raw, dnsfunc=dns_txt(dns_server))


def test_a_signed_reply_with_an_attachment_and_long_lines_verifies_too(
    from_acme, sending_domain, send_reply, dns_server
) -> None:
    upload = SimpleUploadedFile("notes.txt", b"line one\r\n.line two\r\n", "text/plain")
    raw = send_reply(
        body="Voilà, the notes. Ünïcödé and a long line " + "x" * 1200, attachments=[upload]
    )
    assert b"multipart/mixed" in raw
    assert dkimpy.verify(raw, dnsfunc=dns_txt(dns_server))


def test_changing_the_signed_mail_breaks_the_signature(
    from_acme, sending_domain, send_reply, dns_server
) -> None:
    raw = send_reply()
    lookup = dns_txt(dns_server)
    assert dkimpy.verify(raw, dnsfunc=lookup)
    tampered_body = raw.replace(b"Have you tried water?", b"Send us your password")
    assert tampered_body != raw and not dkimpy.verify(tampered_body, dnsfunc=lookup)
    tampered_subject = raw.replace(b"Subject: Re: Printer", b"Subject: Re: Invoice")
    assert tampered_subject != raw and not dkimpy.verify(tampered_subject, dnsfunc=lookup)
    # Another key at the selector (someone else's acme.example) does not verify it either.
    impostor = sending_domain_add(workspace=WorkspaceFactory(), domain="acme.example")
    dns_server.set_txt(
        f"{sending_domain.dkim_selector}._domainkey.acme.example",
        f"v=DKIM1; k=rsa; p={impostor.dkim_public_key}",
    )
    assert not dkimpy.verify(raw, dnsfunc=lookup)


def test_the_locmem_outbox_holds_the_signed_mail_too(
    from_acme, sending_domain, post_reply, dns_server, settings
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    post_reply()
    raw = mail.outbox[0].message().as_bytes()
    assert b"DKIM-Signature:" in raw
    assert dkimpy.verify(raw, dnsfunc=dns_txt(dns_server))


def test_a_reply_from_an_unverified_domain_is_not_signed(
    from_acme, sending_domain, send_reply, dns_server
) -> None:
    dns_server.remove(f"{sending_domain.dkim_selector}._domainkey.acme.example")
    assert not sending_domain_verify(sending_domain=sending_domain, now=timezone.now()).verified
    assert message_from_bytes(send_reply())["DKIM-Signature"] is None


def test_a_reply_from_our_hosted_address_is_not_signed_with_a_customer_key(
    conversation, sending_domain, send_reply
) -> None:
    headers = message_from_bytes(send_reply())
    assert f"@{conversation.workspace.hosted_domain}>" in headers["From"]
    assert headers["DKIM-Signature"] is None
