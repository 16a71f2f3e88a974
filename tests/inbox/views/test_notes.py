"""Internal notes on the thread page: writing, editing, deleting, files, the @mention typeahead,
the timeline's events between messages, the live poll, and every URL closed to other workspaces."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from inbox.models import Mention, Note, NoteAttachment
from inbox.services import notes as note_services
from inbox.services import threads as thread_services
from tests.factories import AdminFactory, AgentFactory, MessageFactory, TeamFactory, ThreadFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alice(workspace):
    return AgentFactory(workspace=workspace, user__first_name="Alice", user__last_name="Smith")


@pytest.fixture
def bob(workspace):
    return AgentFactory(workspace=workspace, user__first_name="Bob", user__last_name="Jones")


@pytest.fixture
def alice_client(alice) -> Client:
    client = Client()
    client.force_login(alice.user)
    return client


@pytest.fixture
def bob_client(bob) -> Client:
    client = Client()
    client.force_login(bob.user)
    return client


@pytest.fixture
def stranger_client() -> Client:
    """An agent of another workspace."""
    client = Client()
    client.force_login(AgentFactory(user__first_name="Mallory").user)
    return client


def page(client: Client, thread) -> str:
    response = client.get(f"/inbox/threads/{thread.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def poller_url(html: str) -> str:
    found = re.search(r'id="thread-poller"[^>]*hx-get="([^"]+)"', html)
    assert found, "no thread poller"
    return html_lib.unescape(found[1])


def test_a_note_is_shown_tinted_with_its_author_escaped_and_its_mentions_as_chips(
    alice, bob, alice_client, conversation
):
    note_services.note_create(
        thread=conversation,
        author=alice,
        body="<b>careful</b> @Bob Jones\nsecond line",
        mention_user_ids=[bob.user_id],
    )
    html = page(alice_client, conversation)
    note = re.search(r'<article id="note-\d+" class="note".*?</article>', html, re.S)[0]
    assert "Internal note" in note and "Alice Smith" in note
    assert "&lt;b&gt;careful&lt;/b&gt;" in note and "<b>careful" not in note
    assert '<span class="mention-chip">@Bob Jones</span><br>second line' in note
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT', note)


def test_notes_and_events_sit_between_messages_in_time_order(alice, bob, alice_client, workspace):
    thread = ThreadFactory(workspace=workspace)
    start = timezone.now() - timedelta(hours=2)
    MessageFactory(thread=thread, text="first mail", created_at=start)
    note_services.note_create(
        thread=thread, author=alice, body="a note", now=start + timedelta(minutes=1)
    )
    thread_services.thread_assign(thread=thread, assignee=bob, by=alice)
    MessageFactory(thread=thread, text="later mail", created_at=timezone.now() + timedelta(1))
    html = page(alice_client, thread)
    order = [
        html.index("first mail"),
        html.index("a note"),
        html.index("Alice Smith assigned this to Bob Jones"),
        html.index("later mail"),
    ]
    assert order == sorted(order)


def test_event_lines_name_the_actor_or_rules_or_system(alice, bob, alice_client, conversation):
    thread_services.thread_assign(thread=conversation, assignee=bob, by=None)
    thread_services.thread_set_status(thread=conversation, status="closed", by=None)
    thread_services.thread_set_status(thread=conversation, status="open", by=alice)
    thread_services.ticket_update(
        thread=conversation, changes={"priority": "high"}, owner=None, by=alice
    )
    thread_services.thread_change_contact(thread=conversation, email="new@customer.example")
    thread_services.thread_mark_spam(thread=conversation, by=alice)
    thread_services.thread_not_spam(thread=conversation, by=alice)
    html = page(alice_client, conversation)
    for line in (
        "Rules assigned this to Bob Jones",
        "System closed this",
        "Alice Smith reopened this",
        "Alice Smith changed the ticket: priority from Medium to High",
        "System changed the contact to new@customer.example",
        "Alice Smith marked this as spam",
        "Alice Smith marked this as not spam",
    ):
        assert re.search(re.escape(line) + r'</span> · <time datetime="[^"]+"', html), line


def test_posting_a_note_without_javascript_stores_it_and_returns_to_it(
    alice_client, alice, bob, conversation
):
    response = alice_client.post(
        f"/inbox/threads/{conversation.pk}/notes/",
        {"body": "hello @Bob Jones", "mention_user": [str(bob.user_id)]},
    )
    note = Note.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/inbox/threads/{conversation.pk}/#note-{note.pk}"
    assert (note.author_id, note.body) == (alice.user_id, "hello @Bob Jones")
    assert list(Mention.objects.values_list("user_id", flat=True)) == [bob.user_id]


def test_posting_a_note_with_htmx_tells_the_poller_and_a_refusal_shows_beside_the_form(
    alice_client, conversation
):
    response = alice_client.post(
        f"/inbox/threads/{conversation.pk}/notes/", {"body": "quick"}, **HTMX
    )
    assert response.status_code == 200 and "note-saved" in response["HX-Trigger"]
    refused = alice_client.post(f"/inbox/threads/{conversation.pk}/notes/", {"body": " "}, **HTMX)
    text = refused.content.decode()
    assert 'id="note-error"' in text and "Write the note first." in text
    assert Note.objects.count() == 1


def test_a_mention_of_another_workspaces_agent_is_refused(alice_client, conversation):
    outsider = AgentFactory()
    response = alice_client.post(
        f"/inbox/threads/{conversation.pk}/notes/",
        {"body": "hi", "mention_user": [str(outsider.user_id)]},
        **HTMX,
    )
    assert "only mention agents and teams of this workspace" in response.content.decode()
    assert not Note.objects.exists()


def test_the_poll_brings_new_notes_and_events_then_answers_204(
    alice, bob, alice_client, bob_client, conversation, django_assert_max_num_queries
):
    url = poller_url(page(bob_client, conversation))
    assert "notes_after=0" in url and "events_after=0" in url
    with django_assert_max_num_queries(7):
        assert bob_client.get(url).status_code == 204
    note_services.note_create(thread=conversation, author=alice, body="look at this, Bob")
    thread_services.thread_assign(thread=conversation, assignee=bob, by=alice)
    response = bob_client.get(url)
    fresh = response.content.decode()
    assert response.status_code == 200
    assert "look at this, Bob" in fresh and "Alice Smith assigned this to Bob Jones" in fresh
    assert fresh.index("look at this") < fresh.index("assigned this")
    # Bob did not write it: no edit button for him.
    assert "Edit<span" not in fresh
    next_url = poller_url(fresh)
    assert bob_client.get(next_url).status_code == 204


def test_a_poller_from_before_notes_is_never_sent_all_notes(alice, bob_client, conversation):
    note_services.note_create(thread=conversation, author=alice, body="old note")
    url = f"/inbox/threads/{conversation.pk}/poll/?after=999999"
    assert bob_client.get(url).status_code == 204


def test_the_thread_page_queries_do_not_grow_with_notes_and_events(
    alice, bob, alice_client, conversation, workspace, django_assert_num_queries
):
    team = TeamFactory(workspace=workspace)

    def grow(count: int) -> None:
        for index in range(count):
            note_services.note_create(
                thread=conversation,
                author=alice,
                body=f"note {index}",
                mention_user_ids=[bob.user_id],
                mention_team_ids=[team.pk],
                files=[SimpleUploadedFile(f"f{index}.txt", b"x")],
            )
            thread_services.thread_assign(
                thread=conversation, assignee=bob if index % 2 else alice, by=alice
            )
            thread_services.thread_change_contact(
                thread=conversation, email=f"c{index}@customer.example", by=alice
            )

    grow(2)
    page(alice_client, conversation)  # the view counts are cached from now on
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        page(alice_client, conversation)
    grow(20)
    with CaptureQueriesContext(connection) as many:
        html = page(alice_client, conversation)
    assert html.count('class="note"') == 22
    assert [q["sql"][:60] for q in many.captured_queries] == [
        q["sql"][:60] for q in few.captured_queries
    ]


def test_the_author_edits_within_fifteen_minutes_and_sees_the_note_again(
    alice, bob, alice_client, conversation
):
    note = note_services.note_create(thread=conversation, author=alice, body="typo hre")
    form = alice_client.get(f"/inbox/notes/{note.pk}/edit/", **HTMX).content.decode()
    assert f'id="note-{note.pk}"' in form and "typo hre</textarea>" in form
    assert "<html" not in form
    assert "<html" in alice_client.get(f"/inbox/notes/{note.pk}/edit/").content.decode()
    response = alice_client.post(
        f"/inbox/notes/{note.pk}/edit/",
        {"body": "typo here @Bob Jones", "mention_user": [str(bob.user_id)]},
        **HTMX,
    )
    text = response.content.decode()
    assert '<span class="mention-chip">@Bob Jones</span>' in text and "edited" in text
    assert Note.objects.get().body == "typo here @Bob Jones"


def test_editing_is_closed_to_others_and_after_fifteen_minutes(
    alice, alice_client, bob_client, conversation
):
    note = note_services.note_create(thread=conversation, author=alice, body="mine")
    assert bob_client.get(f"/inbox/notes/{note.pk}/edit/").status_code == 404
    bob_client.post(f"/inbox/notes/{note.pk}/edit/", {"body": "hijacked"})
    Note.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    assert alice_client.get(f"/inbox/notes/{note.pk}/edit/").status_code == 404
    refused = alice_client.post(f"/inbox/notes/{note.pk}/edit/", {"body": "late"}, **HTMX)
    assert "only for 15 minutes" in refused.content.decode()
    assert Note.objects.get().body == "mine"
    assert "Edit<span" not in page(alice_client, conversation)


def test_delete_asks_first_and_only_the_author_or_an_admin_may(
    alice, alice_client, bob_client, conversation, workspace
):
    first = note_services.note_create(thread=conversation, author=alice, body="one")
    second = note_services.note_create(thread=conversation, author=alice, body="two")
    html = page(alice_client, conversation)
    assert "Delete this note for everyone?" in html
    assert "Delete…" not in page(bob_client, conversation)
    bob_client.post(f"/inbox/notes/{first.pk}/delete/", **HTMX)
    assert Note.objects.count() == 2
    response = alice_client.post(f"/inbox/notes/{first.pk}/delete/", **HTMX)
    assert response.status_code == 200 and response.content == b""
    admin = Client()
    admin.force_login(AdminFactory(workspace=workspace).user)
    assert admin.post(f"/inbox/notes/{second.pk}/delete/").status_code == 302
    assert not Note.objects.exists()


def test_a_notes_file_downloads_and_never_renders(alice, alice_client, conversation, media_root):
    upload = SimpleUploadedFile("x.html", b"<script>alert(1)</script>", content_type="text/html")
    note = note_services.note_create(thread=conversation, author=alice, body="", files=[upload])
    attachment = NoteAttachment.objects.get()
    html = page(alice_client, conversation)
    url = f"/inbox/notes/{note.pk}/attachments/{attachment.pk}/"
    assert f'href="{url}"' in html
    response = alice_client.get(url)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"


def test_the_typeahead_offers_this_workspaces_agents_and_teams(alice, bob, alice_client, workspace):
    TeamFactory(workspace=workspace, name="Billing")
    AgentFactory(user__first_name="Bobby")  # another workspace
    TeamFactory(name="Bob's team")  # another workspace
    html = alice_client.get("/inbox/mentions/", {"q": "b"}, **HTMX).content.decode()
    assert 'role="option"' in html
    assert f'data-kind="user" data-id="{bob.user_id}" data-label="Bob Jones"' in html
    assert 'data-kind="team"' in html and 'data-label="Billing"' in html
    assert "Bobby" not in html and "Bob&#x27;s team" not in html
    empty = alice_client.get("/inbox/mentions/", {"q": "zz"}).content.decode()
    assert "No agent or team starts with" in empty


def test_the_page_has_the_reply_and_note_tabs_and_the_note_form(alice_client, conversation):
    html = page(alice_client, conversation)
    assert 'role="tablist"' in html and 'id="composer-tab-note"' in html
    assert 'id="note-composer"' in html and 'role="combobox"' in html
    assert '<label class="note-composer__label" for="note-body">Internal note</label>' in html


def test_every_note_url_is_a_404_for_another_workspace(
    alice, stranger_client, conversation, media_root
):
    note = note_services.note_create(
        thread=conversation,
        author=alice,
        body="secret",
        files=[SimpleUploadedFile("s.txt", b"s")],
    )
    attachment = NoteAttachment.objects.get()
    base = f"/inbox/notes/{note.pk}"
    assert (
        stranger_client.post(f"/inbox/threads/{conversation.pk}/notes/", {"body": "x"}).status_code
        == 404
    )
    assert stranger_client.get(f"{base}/").status_code == 404
    assert stranger_client.get(f"{base}/", **HTMX).status_code == 404
    assert stranger_client.get(f"{base}/edit/").status_code == 404
    assert stranger_client.post(f"{base}/edit/", {"body": "x"}).status_code == 404
    assert stranger_client.post(f"{base}/delete/").status_code == 404
    assert stranger_client.get(f"{base}/attachments/{attachment.pk}/").status_code == 404
    poll = f"/inbox/threads/{conversation.pk}/poll/?after=0&notes_after=0&events_after=0"
    assert stranger_client.get(poll).status_code == 404
    suggestions = stranger_client.get("/inbox/mentions/", {"q": "Alice"}).content.decode()
    assert 'role="option" id="mention-option' not in suggestions
    assert Note.objects.get().body == "secret"


def test_a_confirmation_threads_notes_are_the_admins_only(alice, alice_client, workspace):
    confirmation = ThreadFactory(workspace=workspace, confirmation=True)
    response = alice_client.post(f"/inbox/threads/{confirmation.pk}/notes/", {"body": "x"})
    assert response.status_code == 404
