"""Fixtures of every inbox test folder: forwarding addresses, and a conversation to reply to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from inbox.models import Attachment, Message
from tests.factories import (
    ContactFactory,
    EmailChannelFactory,
    ForwardingAddressFactory,
    MessageFactory,
    ThreadFactory,
    TicketFactory,
)


@pytest.fixture
def forwarding_address(db: None) -> str:
    return ForwardingAddressFactory().address


@pytest.fixture
def second_forwarding_address(db: None) -> str:
    return ForwardingAddressFactory().address


@pytest.fixture
def media_root(settings, tmp_path):
    """Stored files (attachments) go to a folder of the test; sent mail stays in memory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings.MEDIA_ROOT


@pytest.fixture
def channel(workspace):
    return EmailChannelFactory(
        workspace=workspace,
        company_name="Acme",
        default_from_username="support",
        signature_html="<p>Cheers, {{first_name}}</p><p>{{full_name}}, Acme support</p>",
    )


@pytest.fixture
def conversation(workspace, channel, media_root):
    """An open thread with an inbound mail (HTML, forwarded, with an attachment)."""
    contact = ContactFactory(workspace=workspace, email="jane@customer.example", name="Jane Doe")
    start = timezone.now() - timedelta(hours=1)
    thread = ThreadFactory(
        workspace=workspace,
        channel=channel,
        contact=contact,
        subject="Printer on fire",
        snippet="It started smoking",
        last_message_at=start,
        message_count=1,
    )
    TicketFactory(thread=thread)
    message = MessageFactory(
        thread=thread,
        message_id="<first@customer.example>",
        from_email=contact.email,
        from_name=contact.name,
        forwarded_by="boss@customer.example",
        attributed_via="forwarded_block",
        text="It started smoking",
        html='<p>It started <b>smoking</b></p><img src="https://tracker.example/p.gif">',
        created_at=start,
    )
    attachment = Attachment(
        message=message, filename="report.html", content_type="text/html", size=27
    )
    attachment.file.save("x", ContentFile(b"<script>alert(1)</script>x"), save=True)
    return thread


def inbound(thread, **fields) -> Message:
    """Another inbound message on the thread, bumping the thread like the pipeline does."""
    now = fields.pop("created_at", timezone.now())
    message = MessageFactory(thread=thread, created_at=now, **fields)
    thread.last_message_at = now
    thread.message_count += 1
    thread.save(update_fields=["last_message_at", "message_count"])
    return message
