"""Presence on a thread, and the collision guard on a reply."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inbox.models import Message
from inbox.presence import PRESENCE_TTL, presence_beat
from tests.factories import AgentFactory, MessageFactory, ThreadFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _client(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def _beat(client, thread, state="viewing", stamp=""):
    return client.post(
        reverse("inbox:presence", args=[thread.pk]), {"state": state, "stamp": stamp}, **HTMX
    )


def test_each_agent_sees_the_others_and_what_they_do(workspace):
    thread = ThreadFactory(workspace=workspace)
    alice = AgentFactory(workspace=workspace, user__first_name="Alice")
    bob = AgentFactory(workspace=workspace, user__first_name="Bob")
    alone = _beat(_client(alice), thread)
    assert alone.status_code == 200 and "is viewing" not in alone.content.decode()
    seen_by_bob = _beat(_client(bob), thread, state="replying").content.decode()
    assert "Alice is viewing" in seen_by_bob and "Bob" not in seen_by_bob
    seen_by_alice = _beat(_client(alice), thread).content.decode()
    assert "Bob is replying" in seen_by_alice
    _beat(_client(bob), thread, state="noting")
    assert "Bob is writing a note" in _beat(_client(alice), thread).content.decode()


def test_an_unchanged_presence_answers_204(workspace):
    thread = ThreadFactory(workspace=workspace)
    alice, bob = AgentFactory(workspace=workspace), AgentFactory(workspace=workspace)
    _beat(_client(bob), thread)
    first = _beat(_client(alice), thread).content.decode()
    stamp = re.search(r'"stamp": "([0-9a-f]+)"', first)[1]
    assert _beat(_client(alice), thread, stamp=stamp).status_code == 204
    _beat(_client(bob), thread, state="replying")
    assert _beat(_client(alice), thread, stamp=stamp).status_code == 200


def test_an_agent_whose_heartbeats_stop_drops_out_after_the_ttl(workspace):
    thread = ThreadFactory(workspace=workspace)
    now = timezone.now()
    presence_beat(
        workspace_id=workspace.pk, thread_id=thread.pk, user_id=1, name="Bob", state="viewing",
        now=now,
    )  # fmt: skip
    later = presence_beat(
        workspace_id=workspace.pk, thread_id=thread.pk, user_id=2, name="Alice",
        state="viewing", now=now + timedelta(seconds=PRESENCE_TTL - 1),
    )  # fmt: skip
    assert [present.name for present in later] == ["Bob"]
    gone = presence_beat(
        workspace_id=workspace.pk, thread_id=thread.pk, user_id=2, name="Alice",
        state="viewing", now=now + timedelta(seconds=PRESENCE_TTL + 1),
    )  # fmt: skip
    assert gone == []


def test_leaving_removes_the_agent_at_once(workspace):
    thread = ThreadFactory(workspace=workspace)
    alice = AgentFactory(workspace=workspace, user__first_name="Alice")
    bob = AgentFactory(workspace=workspace)
    _beat(_client(alice), thread)
    assert "Alice" in _beat(_client(bob), thread).content.decode()
    assert _beat(_client(alice), thread, state="left").status_code == 204
    assert "Alice" not in _beat(_client(bob), thread).content.decode()


def test_presence_never_crosses_workspaces(workspace):
    thread = ThreadFactory(workspace=workspace)
    stranger = AgentFactory()
    assert _beat(_client(stranger), thread).status_code == 404
    assert (
        "is viewing"
        not in _beat(_client(AgentFactory(workspace=workspace)), thread).content.decode()
    )


def test_the_thread_page_starts_the_heartbeat_and_carries_the_version(agent_client, workspace):
    thread = ThreadFactory(workspace=workspace)
    latest = MessageFactory(thread=thread)
    html = agent_client.get(reverse("inbox:thread", args=[thread.pk])).content.decode()
    assert reverse("inbox:presence", args=[thread.pk]) in html
    assert f'name="version" value="{latest.pk}"' in html


# --- The collision guard -------------------------------------------------------------------


@pytest.fixture
def thread_with_mail(workspace, media_root):
    thread = ThreadFactory(workspace=workspace)
    first = MessageFactory(thread=thread, text="My printer is on fire")
    return thread, first


def _reply(client, thread, version, **extra):
    return client.post(
        reverse("inbox:reply", args=[thread.pk]),
        {"body": "Have you tried turning it off?", "version": version, **extra},
        **HTMX,
    )


def _replies(thread):
    return Message.objects.filter(thread=thread, direction=Message.Direction.OUT)


def test_a_reply_goes_when_nothing_arrived(agent_client, thread_with_mail):
    thread, first = thread_with_mail
    response = _reply(agent_client, thread, first.pk)
    assert (
        response.status_code == 200 and 'data-testid="collision"' not in response.content.decode()
    )
    assert _replies(thread).count() == 1


def test_a_new_customer_message_holds_the_reply(agent_client, thread_with_mail):
    thread, first = thread_with_mail
    MessageFactory(thread=thread, text="Now the desk is burning too")
    mail.outbox.clear()
    response = _reply(agent_client, thread, first.pk)
    html = response.content.decode()
    assert 'data-testid="collision"' in html and "Now the desk is burning too" in html
    assert "Send anyway" in html and "Review" in html
    assert not _replies(thread).exists() and mail.outbox == []
    anyway = _reply(agent_client, thread, first.pk, collision="send")
    assert 'data-testid="collision"' not in anyway.content.decode()
    assert _replies(thread).count() == 1


def test_another_agents_reply_holds_mine_but_my_own_does_not(agent_client, agent, thread_with_mail):
    thread, first = thread_with_mail
    MessageFactory(thread=thread, direction=Message.Direction.OUT, sent_by=agent.user)
    assert _reply(agent_client, thread, first.pk).status_code == 200
    assert _replies(thread).count() == 2  # mine went
    colleague = AgentFactory(workspace=thread.workspace, user__first_name="Bob")
    MessageFactory(thread=thread, direction=Message.Direction.OUT, sent_by=colleague.user)
    held = _reply(agent_client, thread, first.pk).content.decode()
    assert 'data-testid="collision"' in held and "Bob" in held
    assert _replies(thread).count() == 3  # nothing more stored


def test_without_javascript_a_held_reply_keeps_the_draft(agent_client, thread_with_mail):
    thread, first = thread_with_mail
    newer = MessageFactory(thread=thread)
    response = agent_client.post(
        reverse("inbox:reply", args=[thread.pk]),
        {"body": "My draft", "version": first.pk},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "My draft" in html and f'name="version" value="{newer.pk}"' in html
    assert not _replies(thread).exists()


def test_presence_lives_in_redis_with_a_short_ttl(redis_url, settings, workspace):
    import redis

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-presence-{workspace.pk}",
        }
    }
    thread = ThreadFactory(workspace=workspace)
    alice = AgentFactory(workspace=workspace, user__first_name="Alice")
    bob = AgentFactory(workspace=workspace)
    _beat(_client(alice), thread, state="replying")
    assert "Alice is replying" in _beat(_client(bob), thread).content.decode()
    server = redis.Redis.from_url(redis_url)
    (key,) = server.keys(f"test-presence-{workspace.pk}:*presence:{workspace.pk}:{thread.pk}")
    assert 0 < server.ttl(key) <= PRESENCE_TTL
    server.delete(key)
