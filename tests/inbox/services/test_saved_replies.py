"""Saved replies' writes: who may create, edit and delete which, what is stored, and what an
insertion gives the composer (tokens filled in for the thread, the use counted)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk.refusals import Refused
from inbox.models import SavedReply, SavedReplyAttachment
from inbox.services.saved_replies import (
    is_saved_reply_editable,
    saved_reply_create,
    saved_reply_delete,
    saved_reply_update,
    saved_reply_use,
)
from tests.factories import (
    AdminFactory,
    AgentFactory,
    ContactFactory,
    EmailChannelFactory,
    ThreadFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_an_agent_creates_a_personal_reply_with_sanitized_text_and_a_file() -> None:
    agent = AgentFactory()
    upload = SimpleUploadedFile("terms.pdf", b"%PDF-1.4 terms", content_type="application/pdf")
    saved = saved_reply_create(
        agent=agent,
        name="  Refund   policy ",
        body_html='<p>Hi {{contact.first_name}}</p><script>x()</script><img src="https://t.example/p">',
        shared=False,
        files=[upload],
    )
    saved.refresh_from_db()
    assert saved.name == "Refund policy"
    assert saved.owner_id == agent.user_id and not saved.is_shared
    assert saved.workspace_id == agent.workspace_id
    assert saved.body_html == "<p>Hi {{contact.first_name}}</p>"
    [attachment] = saved.attachments.all()
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "terms.pdf",
        "application/pdf",
        14,
    )


@pytest.mark.parametrize(
    ("name", "body", "field", "sentence"),
    [
        ("", "<p>x</p>", "name", "Give the saved reply a name."),
        ("   ", "<p>x</p>", "name", "Give the saved reply a name."),
        ("x" * 121, "<p>x</p>", "name", "Keep the name under 120 characters."),
        ("Empty", "<p> </p><br>", "body", "Write the text of the saved reply."),
        ("Only script", "<script>alert(1)</script>", "body", "Write the text of the saved reply."),
    ],
)
def test_a_saved_reply_needs_a_name_and_text(name, body, field, sentence) -> None:
    with pytest.raises(Refused) as refusal:
        saved_reply_create(agent=AgentFactory(), name=name, body_html=body, shared=False)
    assert (refusal.value.field, str(refusal.value)) == (field, sentence)
    assert not SavedReply.objects.exists()


def test_only_an_admin_shares_a_reply_with_the_workspace() -> None:
    with pytest.raises(Refused, match="Only an admin"):
        saved_reply_create(agent=AgentFactory(), name="Hi", body_html="Hi", shared=True)
    shared = saved_reply_create(agent=AdminFactory(), name="Hi", body_html="Hi", shared=True)
    assert shared.is_shared and shared.owner_id is None


def test_who_may_edit_which_reply() -> None:
    admin = AdminFactory()
    agent = AgentFactory(workspace=admin.workspace)
    colleague = AgentFactory(workspace=admin.workspace)
    stranger_admin = AdminFactory()
    shared = saved_reply_create(agent=admin, name="Shared", body_html="x", shared=True)
    mine = saved_reply_create(agent=agent, name="Mine", body_html="x", shared=False)

    assert is_saved_reply_editable(agent=admin, saved_reply=shared)
    assert not is_saved_reply_editable(agent=agent, saved_reply=shared)
    assert is_saved_reply_editable(agent=agent, saved_reply=mine)
    assert not is_saved_reply_editable(agent=colleague, saved_reply=mine)
    # Even an admin does not edit someone's personal reply, nor another workspace's.
    assert not is_saved_reply_editable(agent=admin, saved_reply=mine)
    assert not is_saved_reply_editable(agent=stranger_admin, saved_reply=shared)

    with pytest.raises(Refused):
        saved_reply_update(
            agent=colleague, saved_reply=mine, name="Hacked", body_html="x", shared=False
        )
    with pytest.raises(Refused):
        saved_reply_delete(agent=agent, saved_reply=shared)
    mine.refresh_from_db()
    assert mine.name == "Mine" and SavedReply.objects.count() == 2


def test_an_update_renames_shares_and_swaps_files(django_capture_on_commit_callbacks) -> None:
    admin = AdminFactory()
    old_file = SimpleUploadedFile("old.txt", b"old", content_type="text/plain")
    saved = saved_reply_create(
        agent=admin, name="Draft", body_html="x", shared=False, files=[old_file]
    )
    old = saved.attachments.get()
    saved_reply_update(
        agent=admin,
        saved_reply=saved,
        name="Welcome",
        body_html="<b>Welcome</b>",
        shared=True,
        files=[SimpleUploadedFile("new.txt", b"new", content_type="text/plain")],
        remove_attachment_ids=[old.pk],
    )
    saved.refresh_from_db()
    assert (saved.name, saved.body_html, saved.is_shared) == ("Welcome", "<b>Welcome</b>", True)
    assert [item.filename for item in saved.attachments.all()] == ["new.txt"]

    with django_capture_on_commit_callbacks(execute=True):
        saved_reply_delete(agent=admin, saved_reply=saved)
    assert not SavedReply.objects.exists() and not SavedReplyAttachment.objects.exists()


def test_files_may_not_exceed_the_attachment_limit(settings) -> None:
    settings.INBOX_MAX_ATTACHMENTS_BYTES = 10
    with pytest.raises(Refused, match="Attachments may total at most") as refusal:
        saved_reply_create(
            agent=AgentFactory(),
            name="Big",
            body_html="x",
            shared=False,
            files=[SimpleUploadedFile("big.bin", b"x" * 11)],
        )
    assert refusal.value.field == "attachments"
    assert not SavedReply.objects.exists()


def test_use_fills_the_tokens_for_the_thread_and_counts() -> None:
    agent = AgentFactory(user__first_name="Ada", user__last_name="Lovelace")
    channel = EmailChannelFactory(workspace=agent.workspace, name="Acme Support")
    contact = ContactFactory(workspace=agent.workspace, name="Jane <b>Doe</b>")
    thread = ThreadFactory(workspace=agent.workspace, channel=channel, contact=contact)
    ticket = TicketFactory(thread=thread)
    saved = saved_reply_create(
        agent=agent,
        name="Hello",
        body_html=(
            "<p>Hi {{contact.first_name}} ({{contact.name}}), {{agent.first_name}} "
            "{{agent.full_name}} here about #{{ticket.id}} at {{channel.name}}.</p>"
        ),
        shared=False,
    )
    html = saved_reply_use(saved_reply=saved, thread=thread, agent=agent)
    assert html == (
        "<p>Hi Jane (Jane &lt;b&gt;Doe&lt;/b&gt;), Ada Ada Lovelace here about "
        f"#{ticket.pk} at Acme Support.</p>"
    )
    saved_reply_use(saved_reply=saved, thread=thread, agent=agent)
    saved.refresh_from_db()
    assert saved.usage_count == 2


def test_use_marks_what_the_thread_does_not_know() -> None:
    agent = AgentFactory()
    contact = ContactFactory(workspace=agent.workspace, name="")
    thread = ThreadFactory(workspace=agent.workspace, channel=None, contact=contact)
    saved = saved_reply_create(
        agent=agent, name="x", body_html="Hi {{contact.first_name}} #{{ticket.id}}", shared=False
    )
    html = saved_reply_use(saved_reply=saved, thread=thread, agent=agent)
    assert html == (
        'Hi <mark class="token-missing">[contact.first_name]</mark> '
        '#<mark class="token-missing">[ticket.id]</mark>'
    )


def test_the_demo_has_shared_saved_replies_with_tokens_and_reseeding_keeps_counts(
    tmp_path, monkeypatch
) -> None:
    from io import StringIO

    from django.core.management import call_command

    from inbox.management.commands import seed_demo

    monkeypatch.setattr(seed_demo, "CREDENTIALS_FILE", tmp_path / "demo-credentials.json")
    call_command("seed_demo", "--json", stdout=StringIO())
    replies = SavedReply.objects.filter(workspace__subdomain="demo")
    assert replies.count() == len(seed_demo.DEMO_SAVED_REPLIES) >= 3
    assert all(reply.is_shared and "{{contact.first_name}}" in reply.body_html for reply in replies)
    replies.update(usage_count=7)
    call_command("seed_demo", "--json", stdout=StringIO())
    assert set(replies.values_list("usage_count", flat=True)) == {7}
