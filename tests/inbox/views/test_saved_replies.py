"""Saved replies through their pages: the list and its search, the form and its errors, who
may change what, the composer's picker and insertion, a reply that takes a saved reply's files
and pasted images along, and another workspace's agent answered 404 everywhere."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from inbox.models import Attachment, Message, SavedReply
from inbox.services.saved_replies import saved_reply_create
from tests.factories import AgentFactory, ContactFactory, ThreadFactory, WorkspaceFactory
from tests.image_host import PNG

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(workspace):
    contact = ContactFactory(workspace=workspace, email="jane@customer.example", name="Jane Doe")
    return ThreadFactory(workspace=workspace, contact=contact, subject="Refund")


@pytest.fixture
def shared(admin_agent):
    return saved_reply_create(
        agent=admin_agent,
        name="Refund policy",
        body_html="<p>Hi {{contact.first_name}}, ticket {{ticket.id}}.</p>",
        shared=True,
        files=[SimpleUploadedFile("policy.txt", b"30 days", content_type="text/plain")],
    )


@pytest.fixture
def personal(agent):
    return saved_reply_create(
        agent=agent, name="My sign-off", body_html="<p>Cheers</p>", shared=False
    )


@pytest.fixture
def stranger_client() -> Client:
    client = Client()
    client.force_login(AgentFactory(workspace=WorkspaceFactory()).user)
    return client


def test_the_list_shows_shared_and_own_replies_with_usage(
    agent_client, shared, personal, workspace
):
    someone_else = saved_reply_create(
        agent=AgentFactory(workspace=workspace), name="Secret", body_html="x", shared=False
    )
    SavedReply.objects.filter(pk=shared.pk).update(usage_count=3)
    page = agent_client.get("/inbox/saved-replies/").content.decode()
    assert "Refund policy" in page and "My sign-off" in page
    assert someone_else.name not in page
    assert "3 times" in page
    # An agent edits their own reply, not the shared one.
    assert f"/inbox/saved-replies/{personal.pk}/" in page
    assert f"/inbox/saved-replies/{shared.pk}/" not in page
    assert '<label for="saved-reply-search">Search saved replies</label>' in page


def test_search_matches_name_or_text_and_says_when_nothing_does(agent_client, shared, personal):
    page = agent_client.get("/inbox/saved-replies/?q=cheers").content.decode()
    assert "My sign-off" in page and "Refund policy" not in page
    partial = agent_client.get(
        "/inbox/saved-replies/?q=zzz",
        headers={"HX-Request": "true", "HX-Target": "saved-reply-results"},
    ).content.decode()
    assert (
        partial.startswith('\n<div id="saved-reply-results">')
        or 'id="saved-reply-results"' in partial
    )
    assert "<html" not in partial
    assert "No saved reply has “zzz”" in partial


def test_the_empty_list_invites_to_create_one(agent_client):
    page = agent_client.get("/inbox/saved-replies/").content.decode()
    assert "No saved replies yet" in page and "/inbox/saved-replies/new/" in page


def test_an_agent_creates_a_personal_reply(agent_client, agent):
    response = agent_client.post(
        "/inbox/saved-replies/new/",
        {"name": "Thanks", "body": "<div>Thanks <strong>{{contact.first_name}}</strong></div>"},
    )
    assert response.status_code == 302 and response["Location"] == "/inbox/saved-replies/"
    saved = SavedReply.objects.get()
    assert saved.owner_id == agent.user_id
    assert saved.body_html == "<div>Thanks <strong>{{contact.first_name}}</strong></div>"


def test_without_javascript_the_plain_text_becomes_the_body(agent_client):
    agent_client.post("/inbox/saved-replies/new/", {"name": "Plain", "body_text": "a & b\nc"})
    assert SavedReply.objects.get().body_html == "<p>a &amp; b<br>c</p>"


def test_form_errors_are_next_to_their_fields(agent_client):
    page = agent_client.post("/inbox/saved-replies/new/", {"name": "", "body": ""}).content.decode()
    assert 'aria-invalid="true"' in page and 'id="id_name-error"' in page
    page = agent_client.post(
        "/inbox/saved-replies/new/", {"name": "N", "body": ""}
    ).content.decode()
    assert "Write the text of the saved reply." in page
    # Sharing is an admin's: an agent asking for it is told so.
    page = agent_client.post(
        "/inbox/saved-replies/new/", {"name": "N", "body": "x", "shared": "on"}
    ).content.decode()
    assert "Only an admin can share a saved reply with the workspace." in page
    assert not SavedReply.objects.exists()


def test_the_form_page_allows_the_editors_styles_by_nonce_only(agent_client):
    response = agent_client.get("/inbox/saved-replies/new/")
    policy = response["Content-Security-Policy"]
    nonce = response.content.decode().split('name="trix-csp-nonce" content="')[1].split('"')[0]
    assert f"style-src-elem 'self' 'nonce-{nonce}'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_an_admin_edits_and_deletes_a_shared_reply(admin_client, shared):
    page = admin_client.get(f"/inbox/saved-replies/{shared.pk}/").content.decode()
    assert "Refund policy" in page and "Remove policy.txt" in page
    attachment = shared.attachments.get()
    admin_client.post(
        f"/inbox/saved-replies/{shared.pk}/",
        {"name": "Refunds", "body": "<p>New</p>", "shared": "on", "remove": [attachment.pk]},
    )
    shared.refresh_from_db()
    assert (shared.name, shared.body_html, shared.is_shared) == ("Refunds", "<p>New</p>", True)
    assert not shared.attachments.exists()
    response = admin_client.post(f"/inbox/saved-replies/{shared.pk}/delete/")
    assert response.status_code == 302 and not SavedReply.objects.exists()


def test_nobody_changes_a_reply_that_is_not_theirs(agent_client, admin_client, shared, personal):
    # An agent may read a shared reply (to insert it) but not edit or delete it ...
    assert agent_client.get(f"/inbox/saved-replies/{shared.pk}/").status_code == 404
    assert agent_client.post(f"/inbox/saved-replies/{shared.pk}/delete/").status_code == 404
    # ... and an admin does not see an agent's personal one.
    assert admin_client.get(f"/inbox/saved-replies/{personal.pk}/").status_code == 404
    assert admin_client.post(f"/inbox/saved-replies/{personal.pk}/delete/").status_code == 404
    assert SavedReply.objects.count() == 2


def test_another_workspace_gets_404_everywhere(stranger_client, shared, personal, thread):
    for saved in (shared, personal):
        assert stranger_client.get(f"/inbox/saved-replies/{saved.pk}/").status_code == 404
        assert stranger_client.post(f"/inbox/saved-replies/{saved.pk}/").status_code == 404
        assert stranger_client.post(f"/inbox/saved-replies/{saved.pk}/delete/").status_code == 404
        assert (
            stranger_client.post(
                f"/inbox/threads/{thread.pk}/saved-replies/{saved.pk}/insert/"
            ).status_code
            == 404
        )
    assert stranger_client.get(f"/inbox/threads/{thread.pk}/saved-replies/").status_code == 404
    assert "Refund policy" not in stranger_client.get("/inbox/saved-replies/").content.decode()
    # Their own thread, our saved reply: still 404, and never counted.
    own_thread = ThreadFactory(
        workspace=WorkspaceFactory(), contact=None
    )  # (a thread of yet another workspace)
    assert (
        stranger_client.post(
            f"/inbox/threads/{own_thread.pk}/saved-replies/{shared.pk}/insert/"
        ).status_code
        == 404
    )
    shared.refresh_from_db()
    assert shared.usage_count == 0


def test_the_picker_lists_matches_as_listbox_options(agent_client, thread, shared, personal):
    page = agent_client.get(f"/inbox/threads/{thread.pk}/saved-replies/?q=ref").content.decode()
    assert f'id="saved-reply-option-{shared.pk}"' in page and 'role="option"' in page
    assert "My sign-off" not in page
    page = agent_client.get(f"/inbox/threads/{thread.pk}/saved-replies/?q=zzz").content.decode()
    assert 'aria-disabled="true"' in page and "No saved reply matches “zzz”." in page


def test_inserting_fills_the_tokens_counts_and_lists_the_files(agent_client, thread, shared):
    response = agent_client.post(f"/inbox/threads/{thread.pk}/saved-replies/{shared.pk}/insert/")
    data = json.loads(response.content)
    assert data["html"] == (
        '<p>Hi Jane, ticket <mark class="token-missing">[ticket.id]</mark>.</p>'
    )
    assert [item["filename"] for item in data["attachments"]] == ["policy.txt"]
    shared.refresh_from_db()
    assert shared.usage_count == 1
    assert (
        agent_client.get(
            f"/inbox/threads/{thread.pk}/saved-replies/{shared.pk}/insert/"
        ).status_code
        == 405
    )


def test_the_thread_page_has_the_editor_and_the_picker(agent_client, thread):
    response = agent_client.get(f"/inbox/threads/{thread.pk}/")
    page = response.content.decode()
    assert "<trix-editor" in page and 'aria-label="Reply"' in page
    assert 'role="combobox"' in page and f"/inbox/threads/{thread.pk}/saved-replies/" in page
    assert '<textarea id="composer-text" name="body"' in page  # without JavaScript
    assert "'nonce-" in response["Content-Security-Policy"]


def test_a_reply_takes_a_saved_replys_files_along(agent_client, thread, shared, workspace):
    foreign = saved_reply_create(
        agent=AgentFactory(workspace=workspace),
        name="Not mine",
        body_html="x",
        shared=False,
        files=[SimpleUploadedFile("private.txt", b"no")],
    )
    ids = [shared.attachments.get().pk, foreign.attachments.get().pk]
    agent_client.post(
        f"/inbox/threads/{thread.pk}/reply/",
        {"body": "See attached", "saved_reply_attachment": ids},
    )
    reply = Message.objects.get(direction=Message.Direction.OUT)
    [attachment] = Attachment.objects.filter(message=reply)
    assert (attachment.filename, attachment.content_type) == ("policy.txt", "text/plain")
    with attachment.file.open("rb") as handle:
        assert handle.read() == b"30 days"


def test_a_pasted_image_goes_out_as_an_inline_part(agent_client, thread):
    data = base64.b64encode(PNG).decode()
    body = (
        f'<div>Look<figure><img src="data:image/png;base64,{data}" width="3" height="2">'
        '<figcaption>shot.png 1 KB</figcaption></figure><img src="https://tracker.example/p.gif">'
        "</div>"
    )
    agent_client.post(f"/inbox/threads/{thread.pk}/reply/", {"body_html": body, "body": "Look"})
    reply = Message.objects.get(direction=Message.Direction.OUT)
    image = Attachment.objects.get(message=reply)
    assert image.is_inline and image.content_type == "image/png"
    assert reply.html == f'<div>Look<img src="cid:{image.content_id}" width="3" height="2"></div>'
    with image.file.open("rb") as handle:
        assert handle.read() == PNG
