"""The bell, the notifications page and the notification settings, over HTTP."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inbox.models import Notification, NotificationPreference
from inbox.selectors.notifications import PAGE_SIZE
from tests.factories import AgentFactory, ThreadFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _notification(agent, *, thread=None, kind="assigned", read=False, in_app=True):
    thread = thread or ThreadFactory(workspace=agent.workspace, subject="Broken printer")
    return Notification.objects.create(
        workspace=agent.workspace,
        recipient=agent.user,
        thread=thread,
        kind=kind,
        in_app=in_app,
        read_at=timezone.now() if read else None,
        created_at=timezone.now(),
    )


def _stamp(html: str) -> str:
    found = re.search(r"notifications/poll/\?stamp=([0-9.]*)", html)
    assert found, html
    return found[1]


def test_the_bell_poll_answers_204_until_something_changes(agent_client, agent):
    url = reverse("inbox:bell_poll")
    first = agent_client.get(url, **HTMX)
    assert first.status_code == 200 and 'data-testid="bell-count"' not in first.content.decode()
    stamp = _stamp(first.content.decode())
    assert agent_client.get(url, {"stamp": stamp}, **HTMX).status_code == 204
    _notification(agent)
    changed = agent_client.get(url, {"stamp": stamp}, **HTMX)
    assert changed.status_code == 200
    assert re.search(r'data-testid="bell-count">1<', changed.content.decode())
    assert "Notifications, 1 unread" in changed.content.decode()


def test_the_bell_poll_is_one_query_past_the_session(agent_client, agent):
    _notification(agent)
    url = reverse("inbox:bell_poll")
    agent_client.get(url, **HTMX)  # warm the session
    with CaptureQueriesContext(connection) as captured:
        response = agent_client.get(url, {"stamp": "1.0"}, **HTMX)
    assert response.status_code == 200
    ours = [q["sql"] for q in captured.captured_queries if "inbox_notification" in q["sql"]]
    assert len(ours) == 1, ours


def test_the_count_caps_at_99_plus(agent_client, agent):
    thread = ThreadFactory(workspace=agent.workspace)
    Notification.objects.bulk_create(
        Notification(
            workspace=agent.workspace, recipient=agent.user, thread=thread, kind="mentioned",
            created_at=timezone.now(),
        )
        for _ in range(120)
    )  # fmt: skip
    response = agent_client.get(reverse("inbox:bell_poll"), **HTMX)
    assert 'data-testid="bell-count">99+<' in response.content.decode()


def test_every_page_of_an_agent_shows_the_bell(agent_client):
    html = agent_client.get(reverse("inbox:index")).content.decode()
    assert 'id="bell"' in html and reverse("inbox:notifications") in html


def test_the_list_is_newest_first_links_threads_and_pages(agent_client, agent):
    rows = [_notification(agent, kind="mentioned") for _ in range(PAGE_SIZE + 3)]
    page = agent_client.get(reverse("inbox:notifications")).content.decode()
    shown = [int(pk) for pk in re.findall(r"/inbox/notifications/(\d+)/\"", page)]
    assert shown == [row.pk for row in reversed(rows)][:PAGE_SIZE]
    assert "mentioned you in a note" in page
    older = re.search(r'href="(/inbox/notifications/\?before=\d+)"', page)
    assert older
    rest = agent_client.get(older[1], **HTMX).content.decode()
    assert [int(pk) for pk in re.findall(r"/inbox/notifications/(\d+)/\"", rest)] == [
        row.pk for row in reversed(rows[:3])
    ]


def test_an_empty_list_says_what_will_show(agent_client):
    page = agent_client.get(reverse("inbox:notifications")).content.decode()
    assert 'data-testid="no-notifications"' in page


def test_opening_a_notification_reads_it_and_goes_to_its_thread(agent_client, agent):
    row = _notification(agent)
    response = agent_client.get(reverse("inbox:notification_open", args=[row.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:thread", kwargs={"pk": row.thread_id})
    row.refresh_from_db()
    assert row.read_at is not None


def test_mark_one_and_mark_all_read(agent_client, agent):
    one, *_others = (_notification(agent) for _ in range(3))
    response = agent_client.post(reverse("inbox:notification_read", args=[one.pk]), **HTMX)
    assert response.status_code == 200
    assert 'hx-swap-oob="true"' in response.content.decode()  # the bell is refreshed with it
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    response = agent_client.post(reverse("inbox:notification_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_settings_save_each_events_channels_for_any_agent(agent_client, agent):
    page = agent_client.get(reverse("inbox:notification_settings")).content.decode()
    assert 'name="mentioned-email"' in page and "checked" in page
    response = agent_client.post(
        reverse("inbox:notification_settings"),
        {"assigned-in_app": "on", "assigned-email": "on", "mentioned-in_app": "on"},
    )
    assert response.status_code == 302
    saved = {
        row.kind: (row.in_app, row.email)
        for row in NotificationPreference.objects.filter(user=agent.user)
    }
    assert saved == {
        "assigned": (True, True),
        "customer_replied": (False, False),
        "mentioned": (True, False),
        "delivery_failed": (False, False),
    }
    page = agent_client.get(reverse("inbox:notification_settings")).content.decode()
    assert re.search(r'name="mentioned-email"(?![^>]*checked)', page)


@pytest.mark.parametrize("name", ["notification_open", "notification_read"])
def test_another_agents_or_workspaces_notification_is_a_404(agent_client, agent, name):
    colleague = AgentFactory(workspace=agent.workspace)
    stranger = AgentFactory()
    for row in (_notification(colleague), _notification(stranger)):
        method = agent_client.get if name == "notification_open" else agent_client.post
        assert method(reverse(f"inbox:{name}", args=[row.pk])).status_code == 404
        row.refresh_from_db()
        assert row.read_at is None


def test_another_workspaces_agent_sees_none_of_mine(agent):
    _notification(agent)
    stranger = AgentFactory()
    client = Client()
    client.force_login(stranger.user)
    page = client.get(reverse("inbox:notifications")).content.decode()
    assert 'data-testid="no-notifications"' in page
    client.post(reverse("inbox:notification_read_all"))
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
