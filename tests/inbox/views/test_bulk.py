"""Bulk actions through the list: checkboxes on rows, one POST for many threads, the Undo
button (htmx and plain form), and another workspace's threads and batches left alone (404)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from inbox.models import BulkAction, Thread
from inbox.services import tags as tag_services
from tests.factories import AgentFactory, ThreadFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def threads(workspace):
    return [ThreadFactory(workspace=workspace) for _ in range(3)]


def statuses(threads) -> list[str]:
    return [Thread.objects.get(pk=t.pk).status for t in threads]


def test_rows_have_a_labelled_checkbox_of_the_bulk_form(agent_client, threads) -> None:
    html = agent_client.get("/inbox/").content.decode()
    assert html.count('form="bulk-form"') == 3
    assert f'aria-label="Select “{threads[0].subject}”"' in html
    assert 'id="bulk-form"' in html and 'id="bulk-status"' in html


def test_close_many_in_one_request_then_undo(agent_client, threads) -> None:
    ids = [t.pk for t in threads[:2]]
    response = agent_client.post("/inbox/bulk/", {"thread": ids, "action": "close"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "inbox-bulk-changed" in response.headers["HX-Trigger"]
    assert "Closed 2 conversations." in html and 'id="bulk-undo"' in html
    assert 'data-undo-seconds="10"' in html
    assert statuses(threads) == ["closed", "closed", "open"]

    bulk = BulkAction.objects.get()
    response = agent_client.post(f"/inbox/bulk/{bulk.pk}/undo/", **HTMX)
    assert "Undone: 2 conversations back as they were." in response.content.decode()
    assert "inbox-bulk-changed" in response.headers["HX-Trigger"]
    assert statuses(threads) == ["open", "open", "open"]


def test_without_javascript_the_answer_is_a_page_with_undo(agent_client, threads) -> None:
    response = agent_client.post(
        "/inbox/bulk/", {"thread": [threads[0].pk], "action": "close", "next": "/inbox/?view=open"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Closed 1 conversation." in html and "Undo" in html
    assert 'href="/inbox/?view=open"' in html
    bulk = BulkAction.objects.get()
    response = agent_client.post(f"/inbox/bulk/{bulk.pk}/undo/", {"next": "/inbox/"})
    assert "Undone: 1 conversation back as they were." in response.content.decode()
    assert statuses(threads[:1]) == ["open"]


def test_undo_after_ten_seconds_is_refused_clearly(agent_client, threads) -> None:
    agent_client.post("/inbox/bulk/", {"thread": [threads[0].pk], "action": "close"}, **HTMX)
    BulkAction.objects.update(created_at=timezone.now() - timedelta(seconds=11))
    bulk = BulkAction.objects.get()
    response = agent_client.post(f"/inbox/bulk/{bulk.pk}/undo/", **HTMX)
    html = response.content.decode()
    assert 'role="alert"' in html and "Too late to undo" in html
    assert "HX-Trigger" not in response.headers
    assert statuses(threads[:1]) == ["closed"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "close"}, "Select at least one conversation first."),
        ({"action": "assign", "assignee": ""}, "Choose whom to assign the conversations to."),
        ({"action": "tag", "tag": ""}, "Choose a tag to add."),
        ({"action": "snooze", "snooze": ""}, "Choose when the conversation should come back."),
        ({"action": ""}, "Choose what to do with the selected conversations."),
    ],
)
def test_incomplete_requests_are_refused_with_a_sentence(agent_client, threads, data, message):
    ids = [] if data == {"action": "close"} else [threads[0].pk]
    response = agent_client.post("/inbox/bulk/", {"thread": ids, **data}, **HTMX)
    assert message in response.content.decode()
    assert statuses(threads) == ["open"] * 3
    assert not BulkAction.objects.exists()


def test_assign_to_me_tag_and_snooze(agent_client, agent, workspace, threads) -> None:
    ids = [t.pk for t in threads]
    response = agent_client.post(
        "/inbox/bulk/", {"thread": ids, "action": "assign", "assignee": "me"}, **HTMX
    )
    assert "Assigned 3 conversations to you." in response.content.decode()
    assert {Thread.objects.get(pk=pk).assignee_id for pk in ids} == {agent.user_id}

    tag = tag_services.tag_create(workspace=workspace, name="Billing")
    response = agent_client.post(
        "/inbox/bulk/", {"thread": ids, "action": "tag", "tag": tag.pk}, **HTMX
    )
    assert "Tagged 3 conversations “Billing”." in response.content.decode()
    assert tag.threads.count() == 3

    response = agent_client.post(
        "/inbox/bulk/", {"thread": ids, "action": "snooze", "snooze": "tomorrow"}, **HTMX
    )
    assert "Snoozed 3 conversations until" in response.content.decode()
    assert all(Thread.objects.get(pk=pk).snoozed_until for pk in ids)


def test_mark_spam_in_bulk(agent_client, threads) -> None:
    response = agent_client.post(
        "/inbox/bulk/", {"thread": [threads[0].pk], "action": "spam"}, **HTMX
    )
    assert "Marked 1 conversation as spam" in response.content.decode()
    assert Thread.objects.get(pk=threads[0].pk).is_spam


def test_another_workspaces_ids_are_ignored_and_its_batches_are_404(agent_client, threads) -> None:
    foreign = ThreadFactory(workspace=WorkspaceFactory())
    response = agent_client.post(
        "/inbox/bulk/", {"thread": [foreign.pk], "action": "close"}, **HTMX
    )
    assert "Select at least one conversation first." in response.content.decode()
    agent_client.post(
        "/inbox/bulk/", {"thread": [foreign.pk, threads[0].pk], "action": "close"}, **HTMX
    )
    assert Thread.objects.get(pk=foreign.pk).status == "open"
    assert statuses(threads[:1]) == ["closed"]
    # Their agent and their tag are 404 as arguments...
    their_agent = AgentFactory(workspace=foreign.workspace)
    their_tag = tag_services.tag_create(workspace=foreign.workspace, name="Theirs")
    ids = [threads[1].pk]
    assert (
        agent_client.post(
            "/inbox/bulk/", {"thread": ids, "action": "assign", "assignee": their_agent.user_id}
        ).status_code
        == 404
    )
    assert (
        agent_client.post(
            "/inbox/bulk/", {"thread": ids, "action": "tag", "tag": their_tag.pk}
        ).status_code
        == 404
    )
    # ... and so is their batch's undo.
    other = Client()
    other.force_login(their_agent.user)
    other.post("/inbox/bulk/", {"thread": [foreign.pk], "action": "close"}, **HTMX)
    theirs = BulkAction.objects.get(workspace=foreign.workspace)
    assert agent_client.post(f"/inbox/bulk/{theirs.pk}/undo/").status_code == 404
    assert Thread.objects.get(pk=foreign.pk).status == "closed"


def test_a_colleague_cannot_undo_my_batch(agent_client, workspace, threads) -> None:
    agent_client.post("/inbox/bulk/", {"thread": [threads[0].pk], "action": "close"}, **HTMX)
    colleague = Client()
    colleague.force_login(AgentFactory(workspace=workspace).user)
    bulk = BulkAction.objects.get()
    response = colleague.post(f"/inbox/bulk/{bulk.pk}/undo/", **HTMX)
    assert "Only the agent who made this change can undo it." in response.content.decode()
    assert statuses(threads[:1]) == ["closed"]


def test_bulk_needs_a_post(agent_client) -> None:
    assert agent_client.get("/inbox/bulk/").status_code == 405


def test_bulk_snooze_times_are_on_the_agents_clock(agent_client, agent, threads) -> None:
    from inbox.snooze_times import tomorrow_morning, zone_for

    agent.time_zone = "Asia/Tokyo"
    agent.save(update_fields=["time_zone"])
    ids = [t.pk for t in threads[:2]]
    agent_client.post("/inbox/bulk/", {"thread": ids, "action": "snooze", "snooze": "tomorrow"})
    expected = tomorrow_morning(timezone.now(), zone_for("Asia/Tokyo"))
    until = Thread.objects.get(pk=ids[0]).snoozed_until
    assert until is not None and abs((until - expected).total_seconds()) < 60
    assert until.astimezone(zone_for("Asia/Tokyo")).hour == 9
