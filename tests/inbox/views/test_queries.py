"""Constant queries per page whatever the data size (the speed itself is `make bench-ui`)."""

from __future__ import annotations

import re

import pytest

from tests.factories import MessageFactory, ThreadFactory, TicketFactory

pytestmark = pytest.mark.django_db

# Two of them are the tags: the rows' tags (one prefetch) and the sidebar's tag counts.
LIST_QUERIES = 12
# Two of them are the tags: the thread's tags panel and the sidebar's tag counts.
THREAD_QUERIES = 22


def make_threads(workspace, agent, count):
    for index in range(count):
        thread = ThreadFactory(workspace=workspace, assignee=agent.user if index % 2 else None)
        TicketFactory(thread=thread)


@pytest.mark.parametrize("view", ["unassigned", "mine", "open", "closed"])
@pytest.mark.parametrize("size", [3, 60])
def test_list_views_use_a_constant_number_of_queries(
    agent_client, agent, workspace, django_assert_max_num_queries, view, size
):
    make_threads(workspace, agent, size)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = agent_client.get("/inbox/", {"view": view})
    assert response.status_code == 200


def test_a_deep_page_costs_what_the_first_page_costs(
    agent_client, agent, workspace, django_assert_max_num_queries
):
    make_threads(workspace, agent, 120)
    html = agent_client.get("/inbox/").content.decode()
    cursor = re.search(r"hx-get=\"/inbox/\?[^\"]*cursor=([^\"&]+)", html)[1]
    html = agent_client.get("/inbox/", {"cursor": cursor}).content.decode()
    cursor = re.search(r"hx-get=\"/inbox/\?[^\"]*cursor=([^\"&]+)", html)[1]
    with django_assert_max_num_queries(LIST_QUERIES):
        response = agent_client.get("/inbox/", {"cursor": cursor})
    assert len(re.findall(r"data-thread-id=", response.content.decode())) == 20


def test_search_uses_a_constant_number_of_queries(
    agent_client, agent, workspace, django_assert_max_num_queries
):
    make_threads(workspace, agent, 30)
    with django_assert_max_num_queries(LIST_QUERIES + 1):
        response = agent_client.get("/inbox/", {"q": "question"})
    assert response.status_code == 200


@pytest.mark.parametrize("size", [2, 50])
def test_thread_page_queries_do_not_grow_with_messages(
    agent_client, workspace, conversation, django_assert_max_num_queries, size
):
    for _ in range(size):
        MessageFactory(thread=conversation, html="<p>hi</p>")
    with django_assert_max_num_queries(THREAD_QUERIES):
        response = agent_client.get(f"/inbox/threads/{conversation.pk}/")
    assert response.content.decode().count('class="message message--') == size + 1


def test_an_unchanged_poll_is_one_query(agent_client, conversation, django_assert_max_num_queries):
    html = agent_client.get("/inbox/").content.decode()
    stamp = re.search(r"stamp=(\d+)", html)[1]
    # Session, user, agent and workspace come with every request; the poll adds one query.
    with django_assert_max_num_queries(5):
        assert agent_client.get("/inbox/poll/", {"stamp": stamp}).status_code == 204
