"""A reply through a real Celery worker and Redis, written by Django's file email backend."""

from __future__ import annotations

import time

import pytest

from inbox.models import Message
from inbox.services import outbound
from tests.factories import AgentFactory, ContactFactory, EmailChannelFactory, ThreadFactory

pytestmark = [pytest.mark.services]


@pytest.fixture
def file_backend(monkeypatch, tmp_path):
    """Set before the worker starts: the worker process reads its settings from the environment."""
    outbox = tmp_path / "sent"
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    monkeypatch.setenv("EMAIL_FILE_PATH", str(outbox))
    return outbox


def test_a_reply_is_sent_once_by_a_real_worker(file_backend, celery_worker):
    agent = AgentFactory(user__first_name="Grace", user__last_name="Hopper")
    channel = EmailChannelFactory(
        workspace=agent.workspace, company_name="Acme", signature_html="<p>{{full_name}}</p>"
    )
    contact = ContactFactory(workspace=agent.workspace, email="jane@customer.example")
    thread = ThreadFactory(workspace=agent.workspace, channel=channel, contact=contact)
    message = outbound.reply_create(thread=thread, agent=agent, body_text="On our way")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.delivery_status != Message.DeliveryStatus.SENDING:
            break
        time.sleep(0.2)
    assert message.delivery_status == Message.DeliveryStatus.SENT, message.delivery_error
    files = list(file_backend.glob("*.log"))
    assert len(files) == 1
    written = files[0].read_text()
    assert f"Message-ID: {message.message_id}" in written
    assert "From: Grace Hopper at Acme <" in written
    assert "Grace Hopper" in written.split("\n\n", 1)[1]


def test_a_system_email_is_sent_by_a_real_worker_after_commit(file_backend, celery_worker):
    from django.core.mail import EmailMessage
    from django.db import transaction

    from helpdesk.system_mail import queue_system_email

    with transaction.atomic():
        queue_system_email(
            EmailMessage(
                subject="Verify me@acme.example as a from address",
                body="Open the link.",
                to=["me@acme.example"],
                headers={"Auto-Submitted": "auto-generated"},
            )
        )
        time.sleep(0.5)
        assert not file_backend.exists()  # nothing leaves before the commit
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list(file_backend.glob("*.log")):
        time.sleep(0.2)
    written = "".join(path.read_text() for path in file_backend.glob("*.log"))
    assert "Subject: Verify me@acme.example as a from address" in written
    assert "Auto-Submitted: auto-generated" in written
