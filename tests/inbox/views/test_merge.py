"""The merge, split and undo pages (inbox.views.merge) through the test client."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Message, Thread, ThreadEvent, Ticket
from inbox.services import merge
from tests.factories import AgentFactory, MessageFactory, ThreadFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(workspace):
    """Two conversations of one contact: the older with two messages, the newer with one."""
    start = timezone.now() - timedelta(days=1)
    older = ThreadFactory(workspace=workspace, subject="Invoice wrong")
    newer = ThreadFactory(workspace=workspace, subject="Invoice still wrong", contact=older.contact)
    Thread.objects.filter(pk=older.pk).update(created_at=start)
    older.refresh_from_db()
    MessageFactory(thread=older, created_at=start, text="The invoice is wrong")
    MessageFactory(thread=newer, created_at=start + timedelta(hours=1), text="Still wrong")
    MessageFactory(thread=older, created_at=start + timedelta(hours=2), text="Any news?")
    for thread in (older, newer):
        merge.recount(thread)
    return older, newer


def candidate_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-candidate="(\d+)"', response.content.decode())]


def test_the_thread_menu_offers_merge_and_messages_offer_split(agent_client, pair):
    older, _ = pair
    page = agent_client.get(f"/inbox/threads/{older.pk}/").content.decode()
    assert f'href="/inbox/threads/{older.pk}/merge/"' in page
    message = Message.objects.filter(thread=older).first()
    assert f'href="/inbox/threads/{older.pk}/messages/{message.pk}/split/"' in page


def test_pick_lists_the_contacts_other_conversations_and_searches(agent_client, pair, workspace):
    older, newer = pair
    unrelated = ThreadFactory(workspace=workspace, subject="Password reset")
    TicketFactory(thread=unrelated)
    ThreadFactory(subject="Invoice elsewhere")  # another workspace: never offered
    url = f"/inbox/threads/{older.pk}/merge/"
    assert candidate_ids(agent_client.get(url)) == [newer.pk]
    assert candidate_ids(agent_client.get(url, {"q": "invoice"})) == [newer.pk]
    assert candidate_ids(agent_client.get(url, {"q": f"#{unrelated.pk}"})) == [unrelated.pk]
    assert candidate_ids(agent_client.get(url, {"q": str(unrelated.ticket.pk)})) == [unrelated.pk]
    response = agent_client.get(url, {"q": "nothing like this"})
    assert "No other conversation matches" in response.content.decode()
    # The live search swaps only the results.
    partial = agent_client.get(
        url, {"q": "password"}, headers={"HX-Request": "true", "HX-Target": "merge-results"}
    )
    assert candidate_ids(partial) == [unrelated.pk]
    assert "<h1>" not in partial.content.decode()


def test_confirm_shows_both_side_by_side_with_a_choice_where_they_differ(
    agent_client, pair, workspace
):
    older, newer = pair
    bob = AgentFactory(workspace=workspace, user__first_name="Bob", user__last_name="Stone")
    newer.assignee = bob.user
    newer.save()
    page = agent_client.get(f"/inbox/threads/{older.pk}/merge/{newer.pk}/").content.decode()
    assert f"#{newer.pk} (newer, merged in)" in page
    assert f"#{older.pk} (older, kept)" in page
    assert 'name="choice_assignee" value="source"' in page
    assert "Bob Stone" in page
    assert 'name="choice_status"' not in page  # the same on both: nothing to choose


def test_posting_the_confirmation_merges_and_the_merged_page_redirects(
    agent_client, agent, pair, workspace
):
    older, newer = pair
    bob = AgentFactory(workspace=workspace)
    newer.assignee = bob.user
    newer.save()
    # Started from the newer conversation: it still goes into the older one.
    response = agent_client.post(
        f"/inbox/threads/{newer.pk}/merge/{older.pk}/", {"choice_assignee": "source"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/inbox/threads/{older.pk}/"
    older.refresh_from_db()
    assert (older.message_count, older.assignee_id) == (3, bob.user_id)
    assert agent_client.get(f"/inbox/threads/{newer.pk}/")["Location"] == (
        f"/inbox/threads/{older.pk}/"
    )
    # Out of every list.
    listed = agent_client.get("/inbox/", {"view": "open"}).content.decode()
    assert f'data-thread-id="{newer.pk}"' not in listed
    assert f'data-thread-id="{older.pk}"' in listed


def test_the_timeline_offers_undo_merge_through_a_confirmation(agent_client, agent, pair):
    older, newer = pair
    agent_client.post(f"/inbox/threads/{older.pk}/merge/{newer.pk}/")
    event = ThreadEvent.objects.get(thread=older, kind=ThreadEvent.Kind.MERGED)
    undo_url = f"/inbox/threads/{older.pk}/events/{event.pk}/undo/"
    page = agent_client.get(f"/inbox/threads/{older.pk}/").content.decode()
    assert f'href="{undo_url}"' in page
    confirm = agent_client.get(undo_url).content.decode()
    assert "Undo the merge of" in confirm and "After the undo" in confirm
    assert Message.objects.filter(thread=newer).count() == 0  # a GET changes nothing
    response = agent_client.post(undo_url)
    assert response["Location"] == f"/inbox/threads/{newer.pk}/"
    assert Message.objects.filter(thread=newer).count() == 1
    page = agent_client.get(f"/inbox/threads/{older.pk}/").content.decode()
    assert f'href="{undo_url}"' not in page  # undone: no second undo offered
    again = agent_client.post(undo_url, follow=True)
    assert "undone already" in again.content.decode()


def test_split_page_then_split_and_undo(agent_client, pair):
    older, _ = pair
    last = Message.objects.filter(thread=older).order_by("-created_at").first()
    url = f"/inbox/threads/{older.pk}/messages/{last.pk}/split/"
    page = agent_client.get(url).content.decode()
    assert "Split into a new conversation" in page
    response = agent_client.post(url, {"with_later": "0"})
    last.refresh_from_db()
    assert response["Location"] == f"/inbox/threads/{last.thread_id}/"
    assert last.thread_id != older.pk
    assert Ticket.objects.filter(thread_id=last.thread_id).exists()
    new_page = agent_client.get(f"/inbox/threads/{last.thread_id}/").content.decode()
    event = ThreadEvent.objects.get(thread=older, kind=ThreadEvent.Kind.SPLIT)
    undo_url = f"/inbox/threads/{older.pk}/events/{event.pk}/undo/"
    assert f'href="{undo_url}"' in new_page  # the split-off side offers the undo too
    agent_client.post(undo_url)
    last.refresh_from_db()
    assert last.thread_id == older.pk


def test_a_refused_split_says_why(agent_client, workspace):
    thread = ThreadFactory(workspace=workspace)
    first = MessageFactory(thread=thread)
    MessageFactory(thread=thread)
    url = f"/inbox/threads/{thread.pk}/messages/{first.pk}/split/"
    response = agent_client.post(url, {"with_later": "1"}, follow=True)
    assert "at least one message" in response.content.decode()
    assert Message.objects.filter(thread=thread).count() == 2


def test_another_workspaces_threads_are_404_everywhere(agent_client, pair):
    older, _ = pair
    foreign = ThreadFactory(subject="Elsewhere")
    foreign_message = MessageFactory(thread=foreign)
    MessageFactory(thread=foreign)
    other_older = ThreadFactory(workspace=foreign.workspace)
    MessageFactory(thread=other_older)
    merge.thread_merge(thread=other_older, other=foreign, choices={}, by=None)
    foreign_event = ThreadEvent.objects.filter(kind=ThreadEvent.Kind.MERGED).first()
    urls = [
        f"/inbox/threads/{foreign.pk}/merge/",
        f"/inbox/threads/{older.pk}/merge/{foreign.pk}/",
        f"/inbox/threads/{foreign.pk}/merge/{older.pk}/",
        f"/inbox/threads/{foreign.pk}/messages/{foreign_message.pk}/split/",
        f"/inbox/threads/{older.pk}/messages/{foreign_message.pk}/split/",
        f"/inbox/threads/{foreign_event.thread_id}/events/{foreign_event.pk}/undo/",
        f"/inbox/threads/{older.pk}/events/{foreign_event.pk}/undo/",
    ]
    for url in urls:
        assert agent_client.get(url).status_code == 404, url
        if not url.endswith("/merge/"):  # the picker is a GET page only
            assert agent_client.post(url).status_code == 404, url
    assert Message.objects.filter(thread=older).count() == 2


def test_pages_need_a_workspace_member(client, pair):
    older, newer = pair
    response = client.get(f"/inbox/threads/{older.pk}/merge/{newer.pk}/")
    assert response.status_code in (302, 403)
    response = client.post(f"/inbox/threads/{older.pk}/merge/{newer.pk}/")
    assert response.status_code in (302, 403)
    newer.refresh_from_db()
    assert newer.kind == Thread.Kind.CONVERSATION


def test_a_tab_left_open_on_the_merged_conversation_is_sent_to_the_target(agent_client, pair):
    older, newer = pair
    merge.thread_merge(thread=older, other=newer, choices={}, by=None)
    response = agent_client.get(
        f"/inbox/threads/{newer.pk}/poll/", {"after": "0"}, headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"] == f"/inbox/threads/{older.pk}/"


def test_merging_again_from_a_stale_page_says_it_is_done(agent_client, pair):
    older, newer = pair
    agent_client.post(f"/inbox/threads/{older.pk}/merge/{newer.pk}/")
    response = agent_client.post(f"/inbox/threads/{older.pk}/merge/{newer.pk}/", follow=True)
    assert response.redirect_chain[-1][0] == f"/inbox/threads/{older.pk}/"
    assert f"#{newer.pk} has been merged into #{older.pk}" in response.content.decode()
    assert ThreadEvent.objects.filter(kind=ThreadEvent.Kind.MERGED).count() == 2
