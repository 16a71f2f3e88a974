"""The built-in SMTP listener: forwarding addresses only, refused at RCPT; same ledger as ESPs."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from asgiref.sync import SyncToAsync
from django.db import connections

from inbox.models import InboundEmail
from inbox.smtp import InboundSMTPHandler, deliver
from tests.inbox.payloads import fail_ledger_inserts, simple_message

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_port() -> Iterator[int]:
    port = free_port()
    controller = Controller(InboundSMTPHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()
    # The handler's database work ran in asgiref's one thread for sync code: its connection
    # would otherwise outlive the test and keep the test database from being dropped.
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


def test_mail_for_a_forwarding_address_is_stored_and_processed(
    smtp_port: int, forwarding_address: str
) -> None:
    raw = simple_message(to=forwarding_address)
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
        refused = smtp.sendmail("bounce@sender.example", [forwarding_address.upper()], raw)
    assert refused == {}
    row = InboundEmail.objects.get()
    assert row.esp == "smtp"
    assert row.envelope_recipient == forwarding_address
    assert row.envelope_sender == "bounce@sender.example"
    assert row.status == InboundEmail.Status.ACCEPTED
    # The bytes are kept as they came over the wire (CRLF line endings, smtplib's final CRLF).
    assert bytes(row.raw).replace(b"\r\n", b"\n").rstrip() == raw.rstrip()


def test_other_recipients_are_refused_at_rcpt_time(smtp_port: int, forwarding_address: str) -> None:
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("bounce@sender.example")
        code, _ = smtp.rcpt("someone@elsewhere.example")
        assert code == 550
        code, _ = smtp.rcpt(forwarding_address)
        assert code == 250
        smtp.rset()
    assert not InboundEmail.objects.exists()


def test_a_message_to_only_unknown_recipients_is_not_stored(smtp_port: int, db: None) -> None:
    with (
        smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        smtp.sendmail("a@sender.example", ["nobody@elsewhere.example"], simple_message())
    assert not InboundEmail.objects.exists()


def test_delivering_the_same_bytes_by_smtp_and_again_is_one_delivery(
    forwarding_address: str,
) -> None:
    raw = simple_message()
    deliver(raw, recipients=[forwarding_address], esp="smtp")
    deliver(raw, recipients=[forwarding_address], esp="cli")
    assert InboundEmail.objects.count() == 1


def test_database_down_at_data_is_a_temporary_failure_the_sender_retries(
    smtp_port: int, forwarding_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_ledger_inserts(monkeypatch)
    with (
        smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp,
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        smtp.sendmail("a@sender.example", [forwarding_address], simple_message())
    assert refused.value.smtp_code == 451
    monkeypatch.undo()
    assert not InboundEmail.objects.exists()
