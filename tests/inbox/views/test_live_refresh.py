"""A live refresh of the thread list keeps the older pages the agent loaded."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.selectors.threads import PAGE_SIZE
from tests.factories import MessageFactory, ThreadFactory

pytestmark = pytest.mark.django_db


def row_ids(html: str) -> list[int]:
    return [int(value) for value in re.findall(r'data-thread-id="(\d+)"', html)]


def poll_url(html: str) -> str:
    found = re.search(r'id="list-poller"[^>]*hx-get="([^"]+)"', html)
    assert found, "no list poller"
    return html_lib.unescape(found[1])


def load_more_url(html: str) -> str | None:
    found = re.search(r'class="load-more"><a [^>]*hx-get="([^"]+)"', html)
    return html_lib.unescape(found[1]) if found else None


def old_threads(workspace, count: int) -> list:
    now = timezone.now()
    return [
        ThreadFactory(workspace=workspace, last_message_at=now - timedelta(hours=1, minutes=i))
        for i in range(count)
    ]


def arrive(workspace, subject: str):
    thread = ThreadFactory(workspace=workspace, subject=subject)
    MessageFactory(thread=thread)
    return thread


def test_refresh_after_load_older_keeps_every_loaded_row(agent_client, workspace):
    threads = old_threads(workspace, PAGE_SIZE * 2 + 20)
    first = agent_client.get("/inbox/").content.decode()
    more = agent_client.get(load_more_url(first), HTTP_HX_REQUEST="true").content.decode()
    loaded = row_ids(first) + row_ids(more)
    assert loaded == [thread.pk for thread in threads[: PAGE_SIZE * 2]]
    # The older rows replace the poller, which now reaches down to the last row shown.
    assert 'id="list-poller"' in more and 'hx-swap-oob="true"' in more
    url = poll_url(more)
    assert "until=" in url and "stamp=" not in url

    newcomer = arrive(workspace, "Brand new question")
    refreshed = agent_client.get(url, HTTP_HX_REQUEST="true").content.decode()

    assert row_ids(refreshed) == [newcomer.pk, *loaded]
    # "Load older" goes on below the last loaded row, to the 20 not loaded yet.
    rest = agent_client.get(load_more_url(refreshed), HTTP_HX_REQUEST="true").content.decode()
    assert row_ids(rest) == [thread.pk for thread in threads[PAGE_SIZE * 2 :]]
    # The refreshed list polls on with the same reach and the new stamp: nothing new, no swap.
    again = agent_client.get(poll_url(refreshed), HTTP_HX_REQUEST="true")
    assert again.status_code == 204
    assert "until=" in poll_url(refreshed)


def test_refresh_of_a_fully_loaded_list_offers_no_empty_load_older(agent_client, workspace):
    threads = old_threads(workspace, PAGE_SIZE + 3)
    first = agent_client.get("/inbox/").content.decode()
    more = agent_client.get(load_more_url(first), HTTP_HX_REQUEST="true").content.decode()
    assert load_more_url(more) is None
    arrive(workspace, "Brand new question")
    refreshed = agent_client.get(poll_url(more), HTTP_HX_REQUEST="true").content.decode()
    assert len(row_ids(refreshed)) == len(threads) + 1
    assert load_more_url(refreshed) is None


def test_refresh_of_the_first_page_alone_stays_one_page(agent_client, workspace):
    old_threads(workspace, PAGE_SIZE + 3)
    first = agent_client.get("/inbox/").content.decode()
    assert "until=" not in poll_url(first)
    newcomer = arrive(workspace, "Brand new question")
    refreshed = agent_client.get(poll_url(first), HTTP_HX_REQUEST="true").content.decode()
    assert row_ids(refreshed)[0] == newcomer.pk
    assert len(row_ids(refreshed)) == PAGE_SIZE
    assert load_more_url(refreshed)


def test_a_garbled_until_refreshes_the_first_page(agent_client, workspace):
    old_threads(workspace, PAGE_SIZE + 3)
    response = agent_client.get("/inbox/poll/", {"until": "!!garbled"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert len(row_ids(response.content.decode())) == PAGE_SIZE


def test_refresh_queries_do_not_grow_with_the_loaded_rows(
    agent_client, workspace, django_assert_max_num_queries
):
    old_threads(workspace, PAGE_SIZE * 3)
    first = agent_client.get("/inbox/").content.decode()
    more = agent_client.get(load_more_url(first), HTTP_HX_REQUEST="true").content.decode()
    more = agent_client.get(load_more_url(more), HTTP_HX_REQUEST="true").content.decode()
    arrive(workspace, "Brand new question")
    with django_assert_max_num_queries(12):
        response = agent_client.get(poll_url(more), HTTP_HX_REQUEST="true")
    assert len(row_ids(response.content.decode())) == PAGE_SIZE * 3 + 1
