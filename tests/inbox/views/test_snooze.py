"""Snooze from the thread page (menu, picked time, unsnooze), the Snoozed view, the wake-up
banner, and the admins' Auto-close settings page."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from inbox import snooze_times
from inbox.models import Thread, ThreadEvent
from inbox.services.snooze import thread_snooze, threads_wake_due
from tests.factories import AgentFactory, ContactFactory, ThreadFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(workspace):
    contact = ContactFactory(workspace=workspace, email="anna@customer.example", name="Anna Berg")
    return ThreadFactory(workspace=workspace, contact=contact, subject="Invoice")


@pytest.fixture
def berlin_agent(agent):
    agent.time_zone = "Europe/Berlin"
    agent.save()
    return agent


@pytest.fixture
def stranger_client() -> Client:
    client = Client()
    client.force_login(AgentFactory(workspace=WorkspaceFactory()).user)
    return client


def row_ids(response) -> list[int]:
    return [int(v) for v in re.findall(r'data-thread-id="(\d+)"', response.content.decode())]


def test_the_thread_page_has_a_labelled_snooze_menu(agent_client, berlin_agent, thread):
    page = agent_client.get(f"/inbox/threads/{thread.pk}/").content.decode()
    assert 'id="snooze-button"' in page
    for key in ("later", "tomorrow", "next_week"):
        assert f'name="preset" value="{key}"' in page
    assert '<label for="snooze-until">Pick a date and time' in page
    assert "(Europe/Berlin)" in page
    assert 'type="datetime-local" id="snooze-until"' in page


def test_a_closed_thread_has_no_snooze_menu(agent_client, thread):
    Thread.objects.filter(pk=thread.pk).update(status=Thread.Status.CLOSED)
    page = agent_client.get(f"/inbox/threads/{thread.pk}/").content.decode()
    assert 'id="snooze-button"' not in page


def test_tomorrow_morning_is_nine_on_the_agents_clock(agent_client, berlin_agent, thread):
    expected = snooze_times.choice_until("tomorrow", now=timezone.now(), zone_name="Europe/Berlin")
    response = agent_client.post(
        f"/inbox/threads/{thread.pk}/snooze/", {"preset": "tomorrow"}, follow=True
    )
    thread.refresh_from_db()
    assert thread.snoozed_until == expected
    assert thread.snoozed_until.astimezone(snooze_times.zone_for("Europe/Berlin")).hour == 9
    page = response.content.decode()
    assert 'data-testid="snooze-banner"' in page and "Snoozed until" in page
    assert "Unsnooze now" in page


def test_a_picked_time_is_read_on_the_agents_clock(agent_client, berlin_agent, thread):
    day = timezone.now().astimezone(UTC).date() + timedelta(days=10)
    agent_client.post(f"/inbox/threads/{thread.pk}/snooze/", {"until": f"{day}T10:15"})
    thread.refresh_from_db()
    local = thread.snoozed_until.astimezone(snooze_times.zone_for("Europe/Berlin"))
    assert (local.date(), local.hour, local.minute) == (day, 10, 15)


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        ({}, "Choose when the conversation should come back."),
        ({"preset": "someday"}, "Choose when the conversation should come back."),
        ({"until": "tomorrow-ish"}, "Enter a date and a time"),
        ({"until": "2001-01-01T09:00"}, "Pick a time in the future."),
    ],
)
def test_a_bad_choice_is_refused_with_a_sentence(agent_client, thread, data, sentence):
    response = agent_client.post(f"/inbox/threads/{thread.pk}/snooze/", data, follow=True)
    assert sentence in response.content.decode()
    thread.refresh_from_db()
    assert thread.snoozed_until is None


def test_htmx_gets_the_fresh_header_out_of_band(agent_client, thread):
    response = agent_client.post(
        f"/inbox/threads/{thread.pk}/snooze/", {"preset": "next_week"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="thread-actions"' in body and 'hx-swap-oob="true"' in body
    assert "Snoozed until" in body


def test_unsnooze_brings_it_back(agent_client, agent, thread):
    thread_snooze(thread=thread, until=timezone.now() + timedelta(days=1), by=agent)
    response = agent_client.post(f"/inbox/threads/{thread.pk}/unsnooze/", follow=True)
    thread.refresh_from_db()
    assert thread.snoozed_until is None
    assert "back in the inbox" in response.content.decode()
    assert ThreadEvent.objects.filter(thread=thread, kind="woke", actor=agent.user).exists()


def test_the_snoozed_view_lists_what_the_open_views_hide(agent_client, agent, thread):
    other = ThreadFactory(workspace=thread.workspace)
    thread_snooze(thread=thread, until=timezone.now() + timedelta(days=1), by=agent)
    sidebar = agent_client.get("/inbox/").content.decode()
    assert 'href="/inbox/?view=snoozed"' in sidebar
    assert (
        '<span>Snoozed</span> <span class="view-count" data-view-count="snoozed">1</span>'
        in sidebar
    )
    assert row_ids(agent_client.get("/inbox/", {"view": "open"})) == [other.pk]
    assert row_ids(agent_client.get("/inbox/", {"view": "unassigned"})) == [other.pk]
    assert row_ids(agent_client.get("/inbox/", {"view": "snoozed"})) == [thread.pk]


def test_the_thread_says_why_it_woke(agent_client, agent, thread):
    thread_snooze(thread=thread, until=timezone.now() + timedelta(hours=1), by=agent)
    threads_wake_due(now=timezone.now() + timedelta(hours=2))
    page = agent_client.get(f"/inbox/threads/{thread.pk}/").content.decode()
    assert "Woke: the snooze ended." in page

    Thread.objects.filter(pk=thread.pk).update(woke_reason="replied")
    page = agent_client.get(f"/inbox/threads/{thread.pk}/").content.decode()
    assert "Woke: Anna Berg replied." in page


@pytest.mark.parametrize("action", ["snooze", "unsnooze"])
def test_another_workspaces_thread_is_a_404(stranger_client, thread, action):
    response = stranger_client.post(f"/inbox/threads/{thread.pk}/{action}/", {"preset": "later"})
    assert response.status_code == 404
    thread.refresh_from_db()
    assert thread.snoozed_until is None


def test_snooze_is_post_only(agent_client, thread):
    assert agent_client.get(f"/inbox/threads/{thread.pk}/snooze/").status_code == 405


def test_auto_close_settings_save_and_turn_off(admin_client, workspace):
    page = admin_client.get("/inbox/auto-close-settings/").content.decode()
    assert '<label for="id_days">Close conversations waiting on the contact after (days)' in page
    assert 'aria-current="page">Auto-close</a>' in page

    response = admin_client.post("/inbox/auto-close-settings/", {"days": "5"}, follow=True)
    workspace.refresh_from_db()
    assert workspace.auto_close_waiting_days == 5
    assert "waiting on the contact for 5 days are closed" in response.content.decode()
    assert 'value="5"' in response.content.decode()

    admin_client.post("/inbox/auto-close-settings/", {"days": ""})
    workspace.refresh_from_db()
    assert workspace.auto_close_waiting_days is None


@pytest.mark.parametrize("value", ["0", "366", "soon"])
def test_auto_close_settings_refuse_bad_values_next_to_the_field(admin_client, workspace, value):
    response = admin_client.post("/inbox/auto-close-settings/", {"days": value})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="field-error" id="id_days-error" role="alert"' in body
    assert 'aria-invalid="true"' in body
    workspace.refresh_from_db()
    assert workspace.auto_close_waiting_days is None


def test_auto_close_settings_are_for_admins(agent_client):
    assert agent_client.get("/inbox/auto-close-settings/").status_code == 403


def test_auto_close_settings_change_only_the_admins_workspace(admin_client, workspace):
    elsewhere = WorkspaceFactory()
    admin_client.post("/inbox/auto-close-settings/", {"days": "7"})
    elsewhere.refresh_from_db()
    assert elsewhere.auto_close_waiting_days is None


def test_snoozed_rows_say_until_when(agent_client, berlin_agent, thread):
    now, zone = timezone.now(), snooze_times.zone_for("Europe/Berlin")
    until = snooze_times.choice_until("next_week", now=now, zone_name="Europe/Berlin")
    thread_snooze(thread=thread, until=until, by=berlin_agent)
    body = agent_client.get("/inbox/", {"view": "snoozed"}).content.decode()
    label = snooze_times.describe(until, now=now, zone=zone)
    assert label.startswith("Mon ") and label.endswith("09:00")
    assert f"data-snoozed-until>Snoozed until {label}</span>" in body


def test_a_bad_picked_time_is_explained_next_to_the_picker(agent_client, thread):
    response = agent_client.post(
        f"/inbox/threads/{thread.pk}/snooze/",
        {"until": "2001-01-01T09:00"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert '<details class="thread-more snooze-menu" data-snooze-menu open>' in body
    assert (
        'value="2001-01-01T09:00" aria-invalid="true" aria-describedby="snooze-until-error"' in body
    )
    assert (
        '<p class="field-error" id="snooze-until-error" role="alert">Pick a time in the future.</p>'
        in body
    )
    thread.refresh_from_db()
    assert thread.snoozed_until is None
