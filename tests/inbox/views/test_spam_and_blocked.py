"""Spam can be undone ("Not spam", the admins' Spam view) and blocked senders unblocked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inbox.models import BlockedSender, Thread
from inbox.views.blocked import PAGE_SIZE as BLOCKED_PAGE_SIZE
from tests.factories import (
    AdminFactory,
    BlockedSenderFactory,
    ContactFactory,
    MessageFactory,
    ThreadFactory,
)

pytestmark = pytest.mark.django_db


def row_ids(response) -> list[int]:
    return [
        int(value) for value in re.findall(r'data-thread-id="(\d+)"', response.content.decode())
    ]


@pytest.fixture
def spam_thread(workspace):
    contact = ContactFactory(workspace=workspace, email="Offers@Spammy.example")
    thread = ThreadFactory(workspace=workspace, contact=contact, subject="You won")
    MessageFactory(thread=thread)
    return thread


def test_mark_as_spam_then_not_spam_brings_the_thread_back_and_unblocks(admin_client, spam_thread):
    admin_client.post(f"/inbox/threads/{spam_thread.pk}/spam/")
    assert BlockedSender.objects.filter(value="offers@spammy.example").exists()
    assert spam_thread.pk not in row_ids(admin_client.get("/inbox/", {"view": "open"}))
    assert row_ids(admin_client.get("/inbox/", {"view": "spam"})) == [spam_thread.pk]

    page = admin_client.get(f"/inbox/threads/{spam_thread.pk}/").content.decode()
    assert "Marked as spam" in page and ">Not spam</button>" in page
    assert ">Mark as spam</button>" not in page

    response = admin_client.post(f"/inbox/threads/{spam_thread.pk}/not-spam/", follow=True)
    assert response.redirect_chain[-1][0] == f"/inbox/threads/{spam_thread.pk}/"
    assert "is back in the inbox" in response.content.decode()
    thread = Thread.objects.get(pk=spam_thread.pk)
    assert (thread.is_spam, thread.status) == (False, Thread.Status.OPEN)
    assert not BlockedSender.objects.exists()
    assert spam_thread.pk in row_ids(admin_client.get("/inbox/", {"view": "open"}))
    assert row_ids(admin_client.get("/inbox/", {"view": "spam"})) == []


def test_not_spam_keeps_a_domain_block_and_says_so(admin_client, workspace, spam_thread):
    Thread.objects.filter(pk=spam_thread.pk).update(is_spam=True, status="closed")
    BlockedSenderFactory(workspace=workspace, value="offers@spammy.example")
    BlockedSenderFactory(workspace=workspace, value="spammy.example")
    response = admin_client.post(f"/inbox/threads/{spam_thread.pk}/not-spam/", follow=True)
    assert "spammy.example is still blocked as a whole domain" in response.content.decode()
    assert list(BlockedSender.objects.values_list("value", flat=True)) == ["spammy.example"]


def test_not_spam_over_htmx_reloads_the_thread(admin_client, spam_thread):
    Thread.objects.filter(pk=spam_thread.pk).update(is_spam=True)
    response = admin_client.post(
        f"/inbox/threads/{spam_thread.pk}/not-spam/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/inbox/threads/{spam_thread.pk}/"


def test_spam_view_and_not_spam_are_for_admins(agent_client, admin_client, spam_thread):
    Thread.objects.filter(pk=spam_thread.pk).update(is_spam=True)
    agent_page = agent_client.get("/inbox/").content.decode()
    assert "?view=spam" not in agent_page
    # An agent asking for the spam view gets the default view, without the spam thread.
    assert spam_thread.pk not in row_ids(agent_client.get("/inbox/", {"view": "spam"}))
    thread_page = agent_client.get(f"/inbox/threads/{spam_thread.pk}/").content.decode()
    assert "A workspace admin can undo this" in thread_page and "Not spam" not in thread_page
    assert agent_client.post(f"/inbox/threads/{spam_thread.pk}/not-spam/").status_code == 403
    assert Thread.objects.get(pk=spam_thread.pk).is_spam

    admin_page = admin_client.get("/inbox/").content.decode()
    assert re.search(r'view=spam"[^>]*>\s*<span>Spam</span> <span class="view-count"', admin_page)
    assert 'data-view-count="spam">1<' in admin_page


def test_spam_view_empty_state_says_what_to_do(admin_client):
    page = admin_client.get("/inbox/", {"view": "spam"}).content.decode()
    assert "No spam" in page and "Not spam" in page


def test_blocked_list_shows_who_blocked_what_and_when(admin_client, admin_agent, workspace):
    admin_agent.user.first_name, admin_agent.user.last_name = "Grace", "Hopper"
    admin_agent.user.save()
    BlockedSenderFactory(workspace=workspace, value="pest@nuisance.example", created_by=None)
    BlockedSenderFactory(workspace=workspace, value="nuisance.example", created_by=admin_agent.user)
    BlockedSenderFactory(value="elsewhere@other.example")  # another workspace
    page = admin_client.get("/settings/blocked/").content.decode()
    rows = re.findall(r'<tr data-blocked="\d+">(.*?)</tr>', page, re.S)
    assert len(rows) == 2
    domain_row = next(row for row in rows if ">nuisance.example<" in row)
    assert "Whole domain" in domain_row and "Grace Hopper" in domain_row and "<time" in domain_row
    address_row = next(row for row in rows if "pest@nuisance.example" in row)
    assert "Address" in address_row and "Unknown" in address_row
    assert "elsewhere@other.example" not in page
    assert 'aria-current="page">Blocked senders' in page


def test_unblock_removes_the_block(admin_client, workspace):
    blocked = BlockedSenderFactory(workspace=workspace, value="pest@nuisance.example")
    response = admin_client.post(f"/settings/blocked/{blocked.pk}/unblock/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/settings/blocked/")
    assert "pest@nuisance.example is accepted again" in response.content.decode()
    assert not BlockedSender.objects.exists()


def test_unblock_is_scoped_to_the_workspace(admin_client):
    foreign = BlockedSenderFactory(value="pest@nuisance.example")
    assert admin_client.post(f"/settings/blocked/{foreign.pk}/unblock/").status_code == 404
    assert BlockedSender.objects.filter(pk=foreign.pk).exists()


def test_blocked_pages_are_for_admins_and_unblock_only_by_post(
    agent_client, admin_client, workspace
):
    blocked = BlockedSenderFactory(workspace=workspace)
    assert agent_client.get("/settings/blocked/").status_code == 403
    assert agent_client.post(f"/settings/blocked/{blocked.pk}/unblock/").status_code == 403
    assert admin_client.get(f"/settings/blocked/{blocked.pk}/unblock/").status_code == 405
    assert BlockedSender.objects.filter(pk=blocked.pk).exists()


def test_unblock_needs_the_csrf_token(admin_agent, workspace):
    blocked = BlockedSenderFactory(workspace=workspace)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_agent.user)
    assert client.post(f"/settings/blocked/{blocked.pk}/unblock/").status_code == 403
    assert BlockedSender.objects.filter(pk=blocked.pk).exists()


def test_blocked_list_is_paginated_newest_first(admin_client, workspace):
    now = timezone.now()
    for index in range(BLOCKED_PAGE_SIZE + 2):
        blocked = BlockedSenderFactory(workspace=workspace, value=f"pest{index}@nuisance.example")
        BlockedSender.objects.filter(pk=blocked.pk).update(
            created_at=now - timedelta(minutes=index)
        )
    first = admin_client.get("/settings/blocked/").content.decode()
    assert first.count("<tr data-blocked=") == BLOCKED_PAGE_SIZE
    assert first.index("pest0@") < first.index("pest1@")
    assert "Page 1 of 2" in first and 'href="?page=2"' in first
    second = admin_client.get("/settings/blocked/", {"page": 2}).content.decode()
    assert second.count("<tr data-blocked=") == 2 and "pest51@" in second


def test_blocked_list_empty_state(admin_client):
    page = admin_client.get("/settings/blocked/").content.decode()
    assert "No blocked senders" in page and "Block sender" in page


@pytest.mark.parametrize(
    "name", ["channels_cfg:channel_list", "rejected:list", "blocked:list"], ids=lambda u: u
)
def test_settings_pages_link_the_blocked_list(admin_client, name):
    page = admin_client.get(reverse(name)).content.decode()
    assert f'href="{reverse("blocked:list")}"' in page


def test_a_second_admin_sees_the_same_list(workspace):
    BlockedSenderFactory(workspace=workspace, value="pest@nuisance.example")
    other = Client()
    other.force_login(AdminFactory(workspace=workspace).user)
    assert "pest@nuisance.example" in other.get("/settings/blocked/").content.decode()


@pytest.mark.parametrize("name", ["rejected:list", "blocked:list"])
def test_the_header_marks_settings_as_the_current_section(admin_client, name):
    page = admin_client.get(reverse(name)).content.decode()
    assert 'aria-current="page">Settings</a>' in page


@pytest.mark.parametrize("domain", ["gmail.com", "Outlook.com", "demo.inbox.localhost"])
def test_a_shared_mail_domain_is_never_offered_or_accepted_as_a_block(
    admin_client, workspace, domain
):
    contact = ContactFactory(workspace=workspace, email=f"someone@{domain}")
    thread = ThreadFactory(workspace=workspace, contact=contact, subject="Hello")
    MessageFactory(thread=thread)
    page = admin_client.get(f"/inbox/threads/{thread.pk}/").content.decode()
    assert "Block sender" in page and 'id="block-domain"' not in page
    response = admin_client.post(
        f"/inbox/threads/{thread.pk}/block/", {"value": domain}, follow=True
    )
    assert "shared by many unrelated people" in response.content.decode()
    assert not BlockedSender.objects.exists()
    # The address itself can still be blocked.
    admin_client.post(f"/inbox/threads/{thread.pk}/block/")
    assert list(BlockedSender.objects.values_list("value", flat=True)) == [
        f"someone@{domain.lower()}"
    ]


def test_a_company_domain_can_be_blocked_from_the_thread(admin_client, spam_thread):
    page = admin_client.get(f"/inbox/threads/{spam_thread.pk}/").content.decode()
    assert "Block spammy.example" in page
    admin_client.post(f"/inbox/threads/{spam_thread.pk}/block/", {"value": "spammy.example"})
    assert BlockedSender.objects.filter(value="spammy.example").exists()
