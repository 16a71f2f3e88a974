"""The inbox's Forwarding confirmations. A provider's confirmation, delivered through the
pipeline, makes a thread with no contact: its view, the poll, the thread page and search show it
with its code and link (they answered 500 when a template read `contact.email` on None)."""

from __future__ import annotations

import pytest

from inbox.inbound.pipeline import process_inbound_email
from inbox.models import Thread
from tests.factories import (
    EmailChannelFactory,
    ForwardingAddressFactory,
    MessageFactory,
    ThreadFactory,
)
from tests.inbox.inbound.conftest import fixture_bytes, store_inbound

pytestmark = pytest.mark.django_db

CODE = "123456789"  # in the fixture's subject and body
LINK = "https://mail-settings.google.com/mail/vf-%5BANGjdJ_abc%5D-xyz"


@pytest.fixture
def confirmation(workspace) -> Thread:
    """Gmail's real confirmation mail, delivered to a draft channel through the pipeline."""
    channel = EmailChannelFactory(workspace=workspace, status="draft", connected_at=None)
    address = ForwardingAddressFactory(channel=channel, locked_at=None).address
    row = store_inbound(fixture_bytes("gmail_confirmation.eml"), address)
    process_inbound_email(row.pk)
    row.refresh_from_db()
    assert row.status == "accepted", row.reason_detail
    return Thread.objects.get(kind=Thread.Kind.FORWARDING_CONFIRMATION)


def test_a_delivered_confirmation_is_a_thread_without_contact_holding_its_code(confirmation):
    assert confirmation.contact is None
    assert confirmation.forwarding_confirmation is not None
    assert confirmation.forwarding_confirmation.code == CODE


def test_the_confirmations_view_shows_the_code_and_the_link_in_the_row(admin_client, confirmation):
    response = admin_client.get("/inbox/", {"view": "confirmations"})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-thread-id="{confirmation.pk}"' in page
    assert f"data-confirmation-code>{CODE}<" in page
    assert f'href="{LINK}"' in page
    assert "Gmail forwarding confirmation" in page


def test_the_confirmations_poll_renders_the_new_confirmation(admin_client, confirmation):
    response = admin_client.get("/inbox/poll/", {"view": "confirmations", "stamp": "0"})
    assert response.status_code == 200
    assert f"data-confirmation-code>{CODE}<" in response.content.decode()


def test_the_confirmation_thread_page_shows_the_code_and_the_link(admin_client, confirmation):
    response = admin_client.get(f"/inbox/threads/{confirmation.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"data-confirmation-code>{CODE}<" in page
    assert f'href="{LINK}"' in page
    assert "owner@gmail.example asks Gmail to forward" in page
    assert 'id="composer"' not in page  # nobody to reply to


@pytest.mark.parametrize("query", [CODE, "owner@gmail.example", "Forwarding Confirmation"])
def test_search_finds_the_confirmation(admin_client, confirmation, query):
    response = admin_client.get("/inbox/", {"view": "confirmations", "q": query})
    assert response.status_code == 200
    assert f'data-thread-id="{confirmation.pk}"' in response.content.decode()


def test_a_conversation_without_contact_shows_in_the_list_search_and_its_page(
    admin_client, workspace
):
    # A bounce from a mail server starts a thread without a contact.
    thread = ThreadFactory(workspace=workspace, contact=None, subject="Undeliverable: hello")
    MessageFactory(thread=thread, from_email="mailer-daemon@mx.example")
    for params in ({"view": "open"}, {"view": "open", "q": "Undeliverable"}):
        response = admin_client.get("/inbox/", params)
        assert response.status_code == 200
        assert f'data-thread-id="{thread.pk}"' in response.content.decode()
        assert "Unknown sender" in response.content.decode()
    response = admin_client.get(f"/inbox/threads/{thread.pk}/")
    assert response.status_code == 200
    assert "No contact yet." in response.content.decode()


def test_the_factory_trait_builds_a_confirmation_like_the_pipeline(admin_client, workspace):
    thread = ThreadFactory(workspace=workspace, confirmation=True)
    MessageFactory(thread=thread)
    assert thread.contact is None and thread.forwarding_confirmation.channel == thread.channel
    response = admin_client.get("/inbox/", {"view": "confirmations"})
    assert (
        f"data-confirmation-code>{thread.forwarding_confirmation.code}<"
        in response.content.decode()
    )
    assert admin_client.get(f"/inbox/threads/{thread.pk}/").status_code == 200
