"""Internal notes: who may write, edit and delete them, mentions stored from ids and checked
against the workspace, notifications of the mentioned, and never a byte of a note in a reply."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from helpdesk.refusals import Refused
from inbox.models import Mention, Note, NoteAttachment, Notification
from inbox.services import notes as services
from inbox.services import outbound
from tests.factories import AdminFactory, AgentFactory, TeamFactory, ThreadFactory

pytestmark = pytest.mark.django_db

SECRET = "Customer is on the naughty list, refund at most 10"


@pytest.fixture
def author(workspace):
    return AgentFactory(workspace=workspace, user__first_name="Alice", user__last_name="Smith")


@pytest.fixture
def bob(workspace):
    return AgentFactory(workspace=workspace, user__first_name="Bob", user__last_name="Jones")


@pytest.fixture
def thread(workspace):
    return ThreadFactory(workspace=workspace)


def mentioned(note: Note) -> list[tuple[int | None, int | None, str]]:
    return [(m.user_id, m.team_id, m.label) for m in Mention.objects.filter(note=note)]


def notified(user_id: int) -> list[str]:
    return list(Notification.objects.filter(recipient_id=user_id).values_list("kind", flat=True))


def test_a_note_stores_its_body_author_and_mentions_from_ids(author, bob, thread, workspace):
    team = TeamFactory(workspace=workspace, name="Billing")
    note = services.note_create(
        thread=thread,
        author=author,
        body="  @Bob Jones and @Billing: look at this\r\nplease  ",
        mention_user_ids=[bob.user_id],
        mention_team_ids=[team.pk],
    )
    note.refresh_from_db()
    assert note.body == "@Bob Jones and @Billing: look at this\nplease"
    assert note.author_id == author.user_id and note.workspace_id == workspace.pk
    assert mentioned(note) == [(bob.user_id, None, "Bob Jones"), (None, team.pk, "Billing")]


def test_the_text_alone_mentions_nobody(author, bob, thread):
    note = services.note_create(thread=thread, author=author, body="@Bob Jones look")
    assert mentioned(note) == []


@pytest.mark.parametrize("kind", ["user", "team"])
def test_a_mention_of_another_workspace_is_refused_and_nothing_is_stored(author, thread, kind):
    stranger = AgentFactory()
    ids = (
        {"mention_user_ids": [stranger.user_id]}
        if kind == "user"
        else {"mention_team_ids": [TeamFactory(workspace=stranger.workspace).pk]}
    )
    with pytest.raises(Refused, match="only mention agents and teams of this workspace"):
        services.note_create(thread=thread, author=author, body="hi", **ids)
    assert not Note.objects.exists()


def test_an_empty_note_is_refused_with_a_sentence_for_the_field(author, thread):
    with pytest.raises(Refused) as refusal:
        services.note_create(thread=thread, author=author, body="   \n ")
    assert str(refusal.value) == "Write the note first." and refusal.value.field == "body"


def test_a_note_of_only_a_file_is_fine_and_keeps_the_file(author, thread, media_root):
    upload = SimpleUploadedFile("plan.txt", b"the plan", content_type="text/plain")
    note = services.note_create(thread=thread, author=author, body="", files=[upload])
    [attachment] = NoteAttachment.objects.filter(note=note)
    assert (attachment.filename, attachment.size) == ("plan.txt", 8)
    assert attachment.file.read() == b"the plan"
    assert "plan.txt" not in attachment.file.name


def test_files_above_the_limit_are_refused(author, thread, settings, media_root):
    settings.INBOX_MAX_ATTACHMENTS_BYTES = 4
    upload = SimpleUploadedFile("big.bin", b"12345")
    with pytest.raises(Refused, match="at most"):
        services.note_create(thread=thread, author=author, body="x", files=[upload])


def test_the_mentioned_agent_and_each_team_member_are_notified_but_not_the_author(
    author, bob, thread, workspace, django_capture_on_commit_callbacks
):
    carol = AgentFactory(workspace=workspace)
    team = TeamFactory(workspace=workspace)
    team.members.add(carol.user, author.user)
    with django_capture_on_commit_callbacks(execute=True):
        services.note_create(
            thread=thread,
            author=author,
            body="@Bob @Team",
            mention_user_ids=[bob.user_id, author.user_id],
            mention_team_ids=[team.pk],
        )
    assert notified(bob.user_id) == ["mentioned"]
    assert notified(carol.user_id) == ["mentioned"]
    assert notified(author.user_id) == []


def test_editing_notifies_only_the_newly_mentioned(author, bob, thread, workspace):
    carol = AgentFactory(workspace=workspace)
    note = services.note_create(
        thread=thread, author=author, body="@Bob", mention_user_ids=[bob.user_id]
    )
    services.note_edit(
        note=note, by=author, body="@Bob @Carol", mention_user_ids=[bob.user_id, carol.user_id]
    )
    assert notified(bob.user_id) == ["mentioned"]
    assert notified(carol.user_id) == ["mentioned"]
    note.refresh_from_db()
    assert note.body == "@Bob @Carol" and note.edited_at is not None
    assert [user for user, _, _ in mentioned(note)] == [bob.user_id, carol.user_id]


@pytest.mark.parametrize(
    ("minutes", "allowed"), [(0, True), (14, True), (15, True), (16, False), (600, False)]
)
def test_only_the_author_edits_and_only_for_fifteen_minutes(author, thread, minutes, allowed):
    written = timezone.now() - timedelta(minutes=minutes, seconds=0)
    note = services.note_create(thread=thread, author=author, body="first", now=written)
    now = written + timedelta(minutes=minutes)
    assert services.is_editable(note, user_id=author.user_id, now=now) is allowed
    if allowed:
        services.note_edit(note=note, by=author, body="second", now=now)
        assert Note.objects.get(pk=note.pk).body == "second"
    else:
        with pytest.raises(Refused, match="15 minutes"):
            services.note_edit(note=note, by=author, body="second", now=now)
        assert Note.objects.get(pk=note.pk).body == "first"


def test_another_agent_cannot_edit_a_fresh_note(author, bob, thread):
    note = services.note_create(thread=thread, author=author, body="mine")
    with pytest.raises(Refused):
        services.note_edit(note=note, by=bob, body="yours")
    assert Note.objects.get(pk=note.pk).body == "mine"


def test_the_author_or_an_admin_deletes_a_note_and_others_may_not(author, bob, thread, workspace):
    first = services.note_create(thread=thread, author=author, body="one")
    second = services.note_create(thread=thread, author=author, body="two")
    with pytest.raises(Refused, match="author or an admin"):
        services.note_delete(note=first, by=bob)
    services.note_delete(note=first, by=author)
    services.note_delete(note=second, by=AdminFactory(workspace=workspace))
    assert not Note.objects.exists()


def test_no_note_text_is_ever_in_the_reply_sent_to_the_customer(
    author, bob, conversation, media_root
):
    """A reply built on a thread with notes (and a note's file) carries nothing of them."""
    upload = SimpleUploadedFile("internal-plan.txt", b"INTERNAL-FILE-BYTES")
    services.note_create(
        thread=conversation,
        author=author,
        body=SECRET,
        mention_user_ids=[bob.user_id],
        files=[upload],
    )
    reply = outbound.reply_create(
        thread=conversation, agent=author, body_text="Hello Jane, we are on it."
    )
    raw = outbound.build_email(reply).message().as_bytes()
    assert b"we are on it" in raw
    for secret in (SECRET, "naughty list", "INTERNAL-FILE-BYTES", "internal-plan.txt"):
        assert secret.encode() not in raw
    assert SECRET not in reply.text and SECRET not in reply.html
