"""The pages of sending: New email, Forward, Undo send and its setting; another workspace's
objects are a 404."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from inbox.models import Message, Thread, ThreadEvent
from inbox.services import outbound
from tests.factories import (
    AgentFactory,
    EmailChannelFactory,
    MessageFactory,
    ThreadFactory,
    WorkspaceFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def stranger_client() -> Client:
    """An agent of another workspace."""
    client = Client()
    client.force_login(AgentFactory(workspace=WorkspaceFactory()).user)
    return client


@pytest.fixture
def pending_reply(conversation, agent, monkeypatch, django_capture_on_commit_callbacks):
    """A reply of `agent` inside a 10 s grace period (its timer not started)."""
    from helpdesk import broker

    monkeypatch.setattr(broker, "run_in_process_at", lambda *args, **kwargs: None)
    agent.workspace.undo_send_seconds = 10
    agent.workspace.save()
    with django_capture_on_commit_callbacks(execute=True):
        return outbound.reply_create(
            thread=conversation, agent=agent, body_html="<p>Try <b>water</b></p>"
        )


# --- New email ------------------------------------------------------------------------------


def test_the_inbox_has_a_new_email_button(agent_client):
    page = agent_client.get("/inbox/").content.decode()
    assert 'id="new-email"' in page and 'href="/inbox/new/"' in page


def test_the_new_email_form_lists_the_workspaces_connected_channels(agent_client, channel):
    EmailChannelFactory(workspace=channel.workspace, status="draft", name="Draft one")
    EmailChannelFactory(workspace=WorkspaceFactory(), name="Foreign")
    page = agent_client.get("/inbox/new/").content.decode()
    assert f'<option value="{channel.pk}"' in page
    assert "Draft one" not in page and "Foreign" not in page
    for label in ("From", "To", "Cc", "Subject", "Message", "Attach files"):
        assert f">{label}</label>" in page


def test_without_a_channel_the_page_says_what_to_do(agent_client):
    page = agent_client.get("/inbox/new/").content.decode()
    assert "No channel to send from" in page and '<form id="new-email-form"' not in page


def test_sending_a_new_email_opens_its_thread(
    agent_client, agent, channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            "/inbox/new/",
            {
                "channel": channel.pk,
                "to": "jane@customer.example",
                "subject": "Welcome",
                "body": "Hello Jane",
            },
        )
    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/inbox/threads/{thread.pk}/"
    assert mail.outbox[0].subject == "Welcome"
    page = agent_client.get(response["Location"]).content.decode()
    assert "Sending your email to jane@customer.example" in page


def test_errors_are_shown_next_to_their_field(agent_client, channel):
    response = agent_client.post(
        "/inbox/new/",
        {"channel": channel.pk, "to": "jane@, bob@x.example", "subject": "Hi", "body": "Hello"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_to-error"' in page and "“jane@” in To is not an email address." in page
    assert 'aria-invalid="true"' in page
    assert 'value="jane@, bob@x.example"' in page  # what was typed is kept
    assert not Thread.objects.exists()


def test_every_field_error_shows_at_once(agent_client, channel):
    response = agent_client.post(
        "/inbox/new/", {"channel": channel.pk, "to": "", "cc": "boss@", "subject": ""}
    )
    page = response.content.decode()
    for sentence in (
        "Add the address to send this to (To).",
        "“boss@” in Cc is not an email address.",
        "Write a subject.",
        "Write a message before sending.",
    ):
        assert sentence in page
    assert not Thread.objects.exists()


def test_a_channel_of_another_workspace_cannot_be_chosen(agent_client, channel):
    foreign = EmailChannelFactory(workspace=WorkspaceFactory())
    response = agent_client.post(
        "/inbox/new/",
        {"channel": foreign.pk, "to": "jane@customer.example", "subject": "Hi", "body": "Hello"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Thread.objects.exists()


# --- Forward --------------------------------------------------------------------------------


def test_each_message_has_a_forward_action(agent_client, conversation):
    message = conversation.messages.get()
    page = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    url = f"/inbox/threads/{conversation.pk}/messages/{message.pk}/forward/"
    assert f'href="{url}"' in page and f'hx-get="{url}"' in page
    assert f'id="forward-slot-{message.pk}"' in page


def test_the_forward_form_opens_under_the_message_with_htmx(agent_client, conversation):
    message = conversation.messages.get()
    url = f"/inbox/threads/{conversation.pk}/messages/{message.pk}/forward/"
    partial = agent_client.get(url, headers=HTMX).content.decode()
    assert partial.lstrip().startswith("<form") and "The whole conversation" in partial
    page = agent_client.get(url).content.decode()
    assert "<html" in page and f'id="forward-form-{message.pk}"' in page


def test_forwarding_sends_records_and_returns_to_the_thread(
    agent_client, conversation, django_capture_on_commit_callbacks
):
    message = conversation.messages.get()
    url = f"/inbox/threads/{conversation.pk}/messages/{message.pk}/forward/"
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            url, {"to": "expert@partner.example", "note": "FYI", "whole_thread": "1"}
        )
    assert response.status_code == 302
    assert mail.outbox[0].to == ["expert@partner.example"]
    assert ThreadEvent.objects.get(kind="forwarded").data["whole_thread"] is True
    page = agent_client.get(response["Location"]).content.decode()
    assert "Forwarding to expert@partner.example" in page
    assert '<span class="badge badge--outbound">Forward</span>' in page


def test_a_forward_error_is_shown_next_to_the_address(agent_client, conversation):
    message = conversation.messages.get()
    url = f"/inbox/threads/{conversation.pk}/messages/{message.pk}/forward/"
    response = agent_client.post(url, {"to": "nobody", "whole_thread": "0"})
    assert response.status_code == 200
    assert "“nobody” in To is not an email address." in response.content.decode()
    assert not Message.objects.filter(is_forward=True).exists()


def test_a_message_of_another_thread_cannot_be_forwarded_through_this_one(
    agent_client, conversation, workspace
):
    other = MessageFactory(thread=ThreadFactory(workspace=workspace))
    url = f"/inbox/threads/{conversation.pk}/messages/{other.pk}/forward/"
    assert agent_client.get(url).status_code == 404


# --- Undo send ------------------------------------------------------------------------------


def test_a_pending_reply_shows_its_countdown_and_undo(agent_client, conversation, pending_reply):
    page = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "data-undo-send" in page
    assert 'data-seconds-left="10"' in page or 'data-seconds-left="9"' in page
    assert f'hx-post="/inbox/messages/{pending_reply.pk}/undo/"' in page
    assert 'hx-trigger="load delay:' in page  # polled once when the grace period ends
    assert "js/undo_send.js" in page


def test_a_colleague_sees_the_countdown_without_undo(conversation, pending_reply, workspace):
    colleague = Client()
    colleague.force_login(AgentFactory(workspace=workspace).user)
    page = colleague.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "data-undo-send" in page and "/undo/" not in page


def test_undo_with_htmx_removes_the_reply_and_refills_the_composer(
    agent_client, conversation, pending_reply
):
    response = agent_client.post(f"/inbox/messages/{pending_reply.pk}/undo/", headers=HTMX)
    assert response.status_code == 200
    detail = json.loads(response["HX-Trigger"])["undo-send"]
    assert detail["html"] == "<p>Try <b>water</b></p>" and detail["text"] == "Try water"
    assert not Message.objects.filter(pk=pending_reply.pk).exists()


def test_undo_without_javascript_shows_the_text_on_the_thread(
    agent_client, conversation, pending_reply
):
    response = agent_client.post(f"/inbox/messages/{pending_reply.pk}/undo/", follow=True)
    page = response.content.decode()
    assert "Reply undone: it was not sent. What you wrote: Try water" in page
    assert not Message.objects.filter(pk=pending_reply.pk).exists()


def test_undo_too_late_shows_the_reply_as_it_is_and_says_why(
    agent_client, conversation, pending_reply
):
    Message.objects.filter(pk=pending_reply.pk).update(send_started_at=timezone.now())
    response = agent_client.post(f"/inbox/messages/{pending_reply.pk}/undo/", headers=HTMX)
    assert response["HX-Reswap"] == "outerHTML"
    assert "Too late to undo" in json.loads(response["HX-Trigger"])["undo-send-refused"]["note"]
    assert f'id="message-{pending_reply.pk}"' in response.content.decode()
    assert Message.objects.filter(pk=pending_reply.pk).exists()


def test_a_colleague_cannot_undo_anothers_reply(conversation, pending_reply, workspace):
    colleague = Client()
    colleague.force_login(AgentFactory(workspace=workspace).user)
    response = colleague.post(f"/inbox/messages/{pending_reply.pk}/undo/", follow=True)
    assert "Only the agent who wrote this reply can undo it." in response.content.decode()
    assert Message.objects.filter(pk=pending_reply.pk).exists()


def test_undo_is_post_only(agent_client, pending_reply):
    assert agent_client.get(f"/inbox/messages/{pending_reply.pk}/undo/").status_code == 405


def test_once_due_the_reply_shows_sending_without_undo(agent_client, conversation, pending_reply):
    Message.objects.filter(pk=pending_reply.pk).update(
        send_after=timezone.now() - timedelta(seconds=1)
    )
    page = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "data-undo-send" not in page and "Sending…" in page


# --- The setting ----------------------------------------------------------------------------


def test_admins_set_the_grace_period(admin_client, workspace):
    page = admin_client.get("/inbox/sending-settings/").content.decode()
    assert 'aria-current="page">Sending</a>' in page and 'value="0"' in page
    response = admin_client.post("/inbox/sending-settings/", {"undo_send_seconds": "20"})
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.undo_send_seconds == 20


def test_the_grace_period_is_validated(admin_client, workspace):
    response = admin_client.post("/inbox/sending-settings/", {"undo_send_seconds": "90"})
    assert "less than or equal to 60" in response.content.decode()
    workspace.refresh_from_db()
    assert workspace.undo_send_seconds == 0


def test_agents_cannot_change_the_grace_period(agent_client):
    assert agent_client.get("/inbox/sending-settings/").status_code == 403


# --- Tenancy --------------------------------------------------------------------------------


def test_another_workspaces_objects_are_a_404(stranger_client, conversation, pending_reply):
    message = conversation.messages.order_by("id").first()
    forward = f"/inbox/threads/{conversation.pk}/messages/{message.pk}/forward/"
    assert stranger_client.get(forward).status_code == 404
    assert stranger_client.post(forward, {"to": "x@y.example"}).status_code == 404
    assert stranger_client.post(f"/inbox/messages/{pending_reply.pk}/undo/").status_code == 404
    assert Message.objects.filter(pk=pending_reply.pk).exists()
    assert not Message.objects.filter(is_forward=True).exists()
