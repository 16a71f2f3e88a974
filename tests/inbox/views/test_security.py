"""Tenancy, CSRF and attachment downloads on every inbox URL (docs/reliability.md, "Access between
workspaces")."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from inbox.models import Attachment, BlockedSender, Message, Thread
from tests.factories import AdminFactory, ContactFactory, MessageFactory, ThreadFactory

pytestmark = pytest.mark.django_db

# Every inbox URL that names an object: (url name, kwargs from the other workspace's objects,
# method, post data).
OBJECT_URLS = [
    ("inbox:thread", lambda o: {"pk": o["thread"].pk}, "get", {}),
    ("inbox:thread_poll", lambda o: {"pk": o["thread"].pk}, "get", {}),
    ("inbox:message", lambda o: {"pk": o["thread"].pk, "message_pk": o["message"].pk}, "get", {}),
    ("inbox:attachment", lambda o: {"pk": o["attachment"].pk}, "get", {}),
    ("inbox:assign", lambda o: {"pk": o["thread"].pk}, "post", {"assignee": "me"}),
    ("inbox:status", lambda o: {"pk": o["thread"].pk}, "post", {"status": "closed"}),
    ("inbox:spam", lambda o: {"pk": o["thread"].pk}, "post", {}),
    ("inbox:not_spam", lambda o: {"pk": o["thread"].pk}, "post", {}),
    ("inbox:block", lambda o: {"pk": o["thread"].pk}, "post", {}),
    ("inbox:change_contact", lambda o: {"pk": o["thread"].pk}, "post", {"email": "a@b.example"}),
    (
        "inbox:contact_owner",
        lambda o: {"pk": o["thread"].pk, "contact_pk": o["contact"].pk},
        "post",
        {"owner": "none"},
    ),
    ("inbox:ticket", lambda o: {"pk": o["thread"].pk}, "post", {"priority": "high"}),
    ("inbox:reply", lambda o: {"pk": o["thread"].pk}, "post", {"body": "hi"}),
    ("inbox:retry", lambda o: {"pk": o["outbound"].pk}, "post", {}),
]
POST_URLS = [
    ("inbox:availability", lambda o: {}, {"availability": "away"}),
    *[(name, kwargs, data) for name, kwargs, method, data in OBJECT_URLS if method == "post"],
]


@pytest.fixture
def other_workspace_objects(settings, tmp_path):
    """A thread of another workspace with a message, an attachment and a failed reply."""
    settings.MEDIA_ROOT = str(tmp_path)
    thread = ThreadFactory()
    message = MessageFactory(thread=thread)
    attachment = Attachment.objects.create(message=message, filename="secret.pdf", size=3)
    from django.core.files.base import ContentFile

    attachment.file.save("secret", ContentFile(b"top"), save=True)
    outbound = MessageFactory(
        thread=thread, direction=Message.Direction.OUT, delivery_status="failed"
    )
    contact = ContactFactory(workspace=thread.workspace)
    return {
        "thread": thread,
        "message": message,
        "attachment": attachment,
        "outbound": outbound,
        "contact": contact,
    }


@pytest.mark.parametrize(
    ("name", "kwargs", "method", "data"), OBJECT_URLS, ids=[u[0] for u in OBJECT_URLS]
)
def test_an_admin_of_workspace_a_gets_404_for_workspace_b_objects(
    admin_client, other_workspace_objects, name, kwargs, method, data
):
    url = reverse(name, kwargs=kwargs(other_workspace_objects))
    response = getattr(admin_client, method)(url, data)
    assert response.status_code == 404
    thread = Thread.objects.get(pk=other_workspace_objects["thread"].pk)
    assert (thread.status, thread.is_spam, thread.assignee_id) == ("open", False, None)
    assert not BlockedSender.objects.exists()
    assert Message.objects.filter(thread=thread).count() == 2


def test_the_same_urls_work_for_the_owning_workspace(other_workspace_objects):
    """The 404s above come from tenancy, not from broken URLs."""
    workspace = other_workspace_objects["thread"].workspace
    client = Client()
    client.force_login(AdminFactory(workspace=workspace).user)
    for name, kwargs, method, data in OBJECT_URLS:
        if name == "inbox:spam":
            continue
        response = getattr(client, method)(
            reverse(name, kwargs=kwargs(other_workspace_objects)), data
        )
        assert response.status_code in (200, 204, 302), name


def test_cannot_assign_to_an_agent_of_another_workspace(agent_client, conversation):
    stranger = AdminFactory()
    response = agent_client.post(
        f"/inbox/threads/{conversation.pk}/assign/", {"assignee": stranger.user_id}
    )
    assert response.status_code == 404
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_search_and_filters_never_show_other_workspaces(agent_client, conversation):
    foreign = ThreadFactory(subject="Printer on fire elsewhere")
    html = agent_client.get(
        "/inbox/", {"q": "printer", "channel": foreign.channel_id or ""}
    ).content.decode()
    assert f'data-thread-id="{foreign.pk}"' not in html


@pytest.mark.parametrize(("name", "kwargs", "data"), POST_URLS, ids=[u[0] for u in POST_URLS])
def test_every_post_needs_a_csrf_token(admin_agent, conversation, name, kwargs, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_agent.user)
    objects = {
        "thread": conversation,
        "contact": conversation.contact,
        "outbound": MessageFactory(
            thread=conversation, direction=Message.Direction.OUT, delivery_status="failed"
        ),
    }
    response = client.post(reverse(name, kwargs=kwargs(objects)), data)
    assert response.status_code == 403
    conversation.refresh_from_db()
    assert conversation.status == "open" and not conversation.is_spam


def test_attachment_download_is_forced_and_never_sniffed(agent_client, conversation):
    attachment = Attachment.objects.get(message__thread=conversation)
    response = agent_client.get(f"/inbox/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="report.html"' in response["Content-Disposition"]
    # The sender said text/html; we never let a browser render it in our origin.
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>x"


def test_mail_html_is_never_served_as_a_page_of_ours(agent_client, conversation):
    html = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    # The body exists only inside the escaped srcdoc attribute of the sandboxed iframe.
    assert "<b>smoking</b>" not in html
    assert "&lt;b&gt;smoking&lt;/b&gt;" in html
