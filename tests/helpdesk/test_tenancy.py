"""Agents see their own workspace only, and every page requires a login."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import Client

from channels_cfg.models import EmailChannel
from helpdesk.tenancy import get_scoped_or_404, scoped
from inbox.models import Attachment, Message, Thread, Ticket
from tests.factories import (
    AgentFactory,
    EmailChannelFactory,
    MessageFactory,
    ThreadFactory,
    TicketFactory,
    WorkspaceFactory,
)

pytestmark = pytest.mark.django_db


def test_scoped_returns_only_the_workspaces_objects() -> None:
    mine, theirs = WorkspaceFactory(), WorkspaceFactory()
    my_thread = ThreadFactory(workspace=mine)
    ThreadFactory(workspace=theirs)
    assert list(scoped(Thread, mine)) == [my_thread]


def test_scoped_follows_paths_for_models_without_a_workspace_field() -> None:
    mine, theirs = WorkspaceFactory(), WorkspaceFactory()
    my_ticket = TicketFactory(thread=ThreadFactory(workspace=mine))
    TicketFactory(thread=ThreadFactory(workspace=theirs))
    assert list(scoped(Ticket, mine)) == [my_ticket]
    assert scoped(Attachment, mine).count() == 0


def test_another_workspaces_object_is_a_404() -> None:
    mine, theirs = WorkspaceFactory(), WorkspaceFactory()
    message = MessageFactory(thread=ThreadFactory(workspace=theirs))
    with pytest.raises(Http404):
        get_scoped_or_404(Message, mine, pk=message.pk)
    with pytest.raises(Http404):
        get_scoped_or_404(EmailChannel, mine, pk=EmailChannelFactory(workspace=theirs).pk)
    assert get_scoped_or_404(Message, theirs, pk=message.pk) == message


def test_garbage_ids_are_a_404_not_a_500() -> None:
    with pytest.raises(Http404):
        get_scoped_or_404(Thread, WorkspaceFactory(), pk="not-a-number")


@pytest.mark.parametrize("url", ["/inbox/", "/settings/channels/", "/"])
def test_pages_require_login(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_logs_in_and_lands_on_the_inbox(client: Client) -> None:
    agent = AgentFactory()
    response = client.post(
        "/login/", {"username": agent.user.username, "password": "correct horse battery staple"}
    )
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert client.get("/inbox/").status_code == 200


def test_wrong_password_shows_an_error(client: Client) -> None:
    agent = AgentFactory()
    response = client.post("/login/", {"username": agent.user.username, "password": "nope"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content


def test_logout_ends_the_session(agent_client: Client) -> None:
    assert agent_client.post("/logout/").status_code == 302
    assert agent_client.get("/inbox/").status_code == 302


def test_agents_may_not_open_admin_settings(agent_client: Client, admin_client: Client) -> None:
    assert agent_client.get("/settings/channels/").status_code == 403
    assert admin_client.get("/settings/channels/").status_code == 200


def test_a_login_without_a_workspace_sees_nothing(django_user_model) -> None:
    user = django_user_model.objects.create_user("drifter", password="pw-123456789")
    client = Client()
    client.force_login(user)
    assert client.get("/inbox/").status_code == 403


def test_inbox_lists_only_the_agents_workspace_threads(agent_client: Client, agent) -> None:
    ThreadFactory(workspace=agent.workspace, subject="Mine to answer")
    ThreadFactory(subject="Somebody else's secret")
    body = agent_client.get("/inbox/").content.decode()
    assert "Mine to answer" in body
    assert "Somebody else" not in body


def test_empty_inbox_and_channel_list_say_what_to_do(admin_client: Client) -> None:
    inbox = admin_client.get("/inbox/").content.decode()
    assert "No conversations yet" in inbox
    channels = admin_client.get("/settings/channels/").content.decode()
    assert "No channels connected" in channels
    assert "Connect a channel" in channels


def test_htmx_is_served_from_static_with_the_csrf_header(agent_client: Client) -> None:
    body = agent_client.get("/inbox/").content.decode()
    assert "/static/vendor/htmx/htmx.min.js" in body
    assert "X-CSRFToken" in body


def test_webhooks_are_not_behind_the_login_page(client: Client, settings) -> None:
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "key", "WEBHOOK_SECRET": "user:pass"}
    response = client.post("/anymail/mailgun/inbound/", {})
    # anymail's own basic auth answers (400), not our login redirect.
    assert response.status_code == 400
