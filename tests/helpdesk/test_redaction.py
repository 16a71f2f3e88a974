"""Addresses never reach logs unredacted: the one helper, and the log lines that could hold one."""

from __future__ import annotations

import io
import json
import logging
import os
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client

from helpdesk.redaction import MASK, RedactAddressesFilter, redact_address, redact_addresses
from helpdesk.tasks import send_system_email
from inbox.image_proxy import proxied_url
from inbox.models import InboundEmail
from inbox.services.intake import inbound_email_receive
from tests.factories import ForwardingAddressFactory
from tests.inbox.payloads import BASIC_AUTH, WEBHOOK_SECRET, postmark_payload, simple_message

ADDRESS = "jane.doe@example.com"
REDACTED = "j***@example.com"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jane.doe@example.com", "j***@example.com"),
        ("  <Jane.Doe@Example.COM> ", "J***@Example.COM"),
        ("jörg@bücher.de", "j***@bücher.de"),
        ("jane@[192.0.2.1]", "j***@[192.0.2.1]"),
        # The domain follows the last @: a quoted local part may hold one.
        ('"jane@home"@example.com', "j***@example.com"),
        ("a@b@example.com", "a***@example.com"),
        ("Jane Doe <jane@example.com>", "J***@example.com"),
        ("@example.com", "***@example.com"),
        ("jane@", "j***@"),
        ("jane", "j***"),
        ("", ""),
        # Already redacted: unchanged, so redacting twice is harmless.
        ("j***@example.com", "j***@example.com"),
        # Only the domain survives of what follows the @.
        ("jane@example.com> (Jane Doe)", "j***@example.com"),
    ],
)
def test_an_address_keeps_its_domain_and_first_character(value: str, expected: str) -> None:
    assert redact_address(value) == expected
    assert redact_address(value) == redact_address(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("to jane@example.com failed", "to j***@example.com failed"),
        (
            "{'jane@example.com': (550, b'5.1.1 <jane@example.com> unknown')}",
            "{'j***@example.com': (550, b'5.1.1 <j***@example.com> unknown')}",
        ),
        ("['jane@example.com', \"bob@x.org\"]", "['j***@example.com', \"b***@x.org\"]"),
        (
            "Key (workspace_id, lower(email))=(1, jane@example.com) already exists",
            "Key (workspace_id, lower(email))=(1, j***@example.com) already exists",
        ),
        # A tracking pixel's query string: the encoded @ and + are addresses too.
        (
            "https://t.example/p.gif?e=jane%40example.com&u=2",
            "https://t.example/p.gif?e=j***%40example.com&u=2",
        ),
        ("jane%2Btag%40example.com", "j***%40example.com"),
        ('"Doe, Jane" <jane.doe+tag@mail.example.co.uk>', '"Doe, Jane" <j***@mail.example.co.uk>'),
        ('"jane doe"@example.com', "j***@example.com"),
        ("no address: @decorator, x@, @", "no address: @decorator, x@, @"),
        ("", ""),
    ],
)
def test_every_address_in_a_text_is_redacted_and_nothing_else(text: str, expected: str) -> None:
    assert redact_addresses(text) == expected


@pytest.mark.parametrize(
    "text", ["a" * 1_000_000 + "@", "a%" * 500_000 + "@", "@" * 200_000, '"' * 200_000 + "@x"]
)
def test_hostile_text_costs_a_moment_not_seconds(text: str) -> None:
    # An exception message may quote a header a sender wrote; logging it must stay cheap.
    started = time.perf_counter()
    redacted = redact_addresses(text)
    assert time.perf_counter() - started < 1.0
    assert len(redacted) <= len(text) + len(MASK)


@pytest.fixture
def call_site_only() -> Iterator[None]:
    """The log handlers without their redacting filter: what the call site itself logs."""
    removed = [
        (handler, found)
        for handler in logging.getLogger().handlers
        for found in handler.filters
        if isinstance(found, RedactAddressesFilter)
    ]
    for handler, found in removed:
        handler.removeFilter(found)
    yield
    for handler, found in removed:
        handler.addFilter(found)


def messages(caplog: pytest.LogCaptureFixture, logger: str) -> str:
    return "\n".join(
        record.getMessage() for record in caplog.records if record.name.startswith(logger)
    )


class RefusingBackend(EmailBackend):
    """An SMTP server that refuses the recipient, naming it as real servers do."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        refused = {ADDRESS: (550, f"5.1.1 <{ADDRESS}>: Recipient address rejected".encode())}
        raise smtplib.SMTPRecipientsRefused(refused)


@pytest.mark.django_db
def test_a_refused_system_mail_is_logged_with_the_address_redacted(
    caplog: pytest.LogCaptureFixture, settings: object, call_site_only: None
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"  # type: ignore[attr-defined]
    fields = {"subject": "Verify", "body": "Click", "from_email": "us@x.org", "to": [ADDRESS]}
    with caplog.at_level(logging.WARNING, logger="helpdesk.tasks"):
        send_system_email.apply(args=[fields])
    logged = messages(caplog, "helpdesk.tasks")
    assert "System mail to" in logged and REDACTED in logged
    assert ADDRESS not in logged


@pytest.mark.django_db(transaction=True)
def test_a_failed_inbound_delivery_is_logged_with_addresses_redacted(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, call_site_only: None
) -> None:
    # PostgreSQL quotes the conflicting values in a unique violation's DETAIL.
    def broken_pipeline(inbound_email_id: int) -> None:
        raise ValueError(f"DETAIL: Key (workspace_id, email)=(1, {ADDRESS}) already exists.")

    monkeypatch.setattr("inbox.tasks.process_inbound_email", broken_pipeline)
    recipient = ForwardingAddressFactory().address
    with caplog.at_level(logging.ERROR, logger="inbox.services.intake"):
        row = inbound_email_receive(raw=simple_message(), esp="test", envelope_recipient=recipient)
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.FAILED
    logged = messages(caplog, "inbox.services.intake")
    assert "failed" in logged and REDACTED in logged
    assert ADDRESS not in logged
    assert ADDRESS in row.reason_detail  # the admin still sees the whole error on the row


@pytest.mark.django_db(transaction=True)
def test_an_unparseable_post_is_logged_with_the_address_redacted(
    client: Client, caplog: pytest.LogCaptureFixture, settings: object, call_site_only: None
) -> None:
    # Postmark without RawEmail: anymail builds the message and quotes the address it refuses.
    settings.ANYMAIL = {"WEBHOOK_SECRET": [WEBHOOK_SECRET]}  # type: ignore[attr-defined]
    recipient = ForwardingAddressFactory().address
    payload = json.loads(postmark_payload(None, recipient=recipient))
    payload["FromFull"] = {"Email": f"{ADDRESS}@", "Name": ""}
    with caplog.at_level(logging.WARNING, logger="inbox.webhooks.views"):
        response = client.post(
            "/anymail/postmark/inbound/",
            data=json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=BASIC_AUTH,
        )
    assert response.status_code == 200
    assert InboundEmail.objects.count() == 1
    logged = messages(caplog, "inbox.webhooks.views")
    assert "not parseable" in logged and "j***@" in logged
    assert ADDRESS not in logged


@pytest.mark.django_db
def test_a_refused_remote_image_is_logged_with_the_address_in_its_url_redacted(
    client: Client, caplog: pytest.LogCaptureFixture, call_site_only: None
) -> None:
    # Tracking pixels name their recipient; a loopback host is refused without a fetch.
    url = "http://127.0.0.1:9/open.gif?e=jane.doe%40example.com"
    with caplog.at_level(logging.INFO, logger="inbox.views"):
        response = client.get(proxied_url(url, origin=""))
    assert response.status_code == 502
    logged = messages(caplog, "inbox.views")
    assert "Image proxy refused" in logged and "j***%40example.com" in logged
    assert "jane.doe" not in logged


def test_the_log_handler_redacts_what_other_libraries_log() -> None:
    # Celery's retry line quotes the task's exception; a traceback repeats it.
    [console] = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(found, RedactAddressesFilter) for found in handler.filters)
    ]
    try:
        raise smtplib.SMTPRecipientsRefused({ADDRESS: (550, b"unknown")})
    except smtplib.SMTPRecipientsRefused as error:
        record = logging.getLogger("celery.app.trace").makeRecord(
            "celery.app.trace",
            logging.INFO,
            __file__,
            1,
            "Retry in %ss: %r",
            (30, error),
            exc_info=sys.exc_info(),
        )
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        console.handle(record)
    finally:
        console.setStream(previous)
    logged = stream.getvalue()
    assert "Retry in 30s" in logged and "Traceback" in logged and REDACTED in logged
    assert ADDRESS not in logged


def test_the_worker_logs_through_the_redacting_handler(tmp_path: Path) -> None:
    # What `celery worker --logfile` does at start: it replaces the root handlers with its own.
    log = tmp_path / "worker.log"
    script = (
        "import django, logging; django.setup();"
        "from helpdesk.celery import app;"
        f"app.log.setup_logging_subsystem(loglevel='INFO', logfile={str(log)!r});"
        f"logging.getLogger('celery.app.trace').info('Retry: %r', ValueError({ADDRESS!r}))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "DEBUG": "true"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    logged = log.read_text()
    assert "Retry: ValueError" in logged and REDACTED in logged
    assert ADDRESS not in logged
