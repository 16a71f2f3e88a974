"""Tags through the pages: the thread's typeahead, list rows and the tag filter, the sidebar
counts, the admins' settings page, and another workspace's tags and threads answering 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from inbox.models import Tag, Thread, ThreadEvent
from inbox.services import tags as services
from tests.factories import AgentFactory, ThreadFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def row_ids(response) -> list[int]:
    return [int(v) for v in re.findall(r'data-thread-id="(\d+)"', response.content.decode())]


def tag_names(thread: Thread) -> list[str]:
    return sorted(tag.name for tag in thread.tags.all())


@pytest.fixture
def thread(workspace):
    return ThreadFactory(workspace=workspace, subject="Invoice question")


@pytest.fixture
def billing(workspace):
    return services.tag_create(workspace=workspace, name="Billing", colour="blue")


def test_typeahead_suggests_matching_tags_and_offers_to_create_a_new_one(
    agent_client, workspace, thread, billing
) -> None:
    services.tag_create(workspace=workspace, name="Urgent")
    html = agent_client.get(
        f"/inbox/threads/{thread.pk}/tags/suggest/", {"name": "bil"}
    ).content.decode()
    assert 'role="listbox"' in html
    assert f'data-tag-id="{billing.pk}"' in html
    assert "Urgent" not in html
    assert "Create tag “bil”" in html
    # An exact name (any case) is not offered for creation again.
    html = agent_client.get(
        f"/inbox/threads/{thread.pk}/tags/suggest/", {"name": "BILLING"}
    ).content.decode()
    assert "Create tag" not in html
    # A tag the thread already has is not suggested.
    services.thread_tag_add(thread=thread, tag=billing)
    html = agent_client.get(
        f"/inbox/threads/{thread.pk}/tags/suggest/", {"name": "bil"}
    ).content.decode()
    assert f'data-tag-id="{billing.pk}"' not in html


def test_adding_by_id_or_by_a_new_name_and_removing(agent_client, agent, thread, billing) -> None:
    response = agent_client.post(f"/inbox/threads/{thread.pk}/tags/", {"tag": billing.pk}, **HTMX)
    assert response.status_code == 200
    assert 'id="tag-panel"' in response.content.decode()
    response = agent_client.post(f"/inbox/threads/{thread.pk}/tags/", {"name": " VIP  customer "})
    assert response.status_code == 302
    assert tag_names(thread) == ["Billing", "VIP customer"]
    agent_client.post(f"/inbox/threads/{thread.pk}/tags/remove/", {"tag": billing.pk}, **HTMX)
    assert tag_names(thread) == ["VIP customer"]
    kinds = ThreadEvent.objects.filter(thread=thread, kind="tags_changed").values_list(
        "data", flat=True
    )
    assert list(kinds) == [
        {"added": ["Billing"], "removed": []},
        {"added": ["VIP customer"], "removed": []},
        {"added": [], "removed": ["Billing"]},
    ]


def test_an_empty_name_shows_the_error_in_the_panel(agent_client, thread) -> None:
    html = agent_client.post(
        f"/inbox/threads/{thread.pk}/tags/", {"name": "  "}, **HTMX
    ).content.decode()
    assert 'id="tag-error"' in html and "Enter a name for the tag." in html
    assert 'aria-invalid="true"' in html
    assert not Tag.objects.exists()


def test_thread_page_shows_the_tag_panel(agent_client, thread, billing) -> None:
    services.thread_tag_add(thread=thread, tag=billing)
    html = agent_client.get(f"/inbox/threads/{thread.pk}/").content.decode()
    assert 'id="tag-input"' in html
    assert 'aria-label="Remove tag Billing"' in html


def test_rows_show_tags_by_name_and_the_tag_filter_and_counts_work(
    agent_client, workspace, billing
) -> None:
    tagged = ThreadFactory(workspace=workspace)
    closed = ThreadFactory(workspace=workspace, status=Thread.Status.CLOSED)
    plain = ThreadFactory(workspace=workspace)
    for thread in (tagged, closed):
        services.thread_tag_add(thread=thread, tag=billing)
    response = agent_client.get("/inbox/")
    html = response.content.decode()
    assert sorted(row_ids(response)) == sorted([tagged.pk, plain.pk])
    # The name is always there: colour is never the only sign.
    assert re.search(r'class="tag tag--blue tag--small"[^>]*>.*?Billing</span>', html)
    # The sidebar counts open conversations per tag.
    assert re.search(rf'data-tag-count="{billing.pk}">1<', html)
    response = agent_client.get("/inbox/", {"view": "open", "tag": billing.pk})
    assert row_ids(response) == [tagged.pk]
    response = agent_client.get("/inbox/", {"view": "closed", "tag": billing.pk})
    assert row_ids(response) == [closed.pk]
    # The filter is kept by the list's links (pagination, the live refresh).
    assert f"tag={billing.pk}" in response.content.decode()


def test_an_empty_tag_filter_explains_itself(agent_client, billing) -> None:
    html = agent_client.get("/inbox/", {"tag": billing.pk}).content.decode()
    assert "No conversations match" in html


def test_another_workspaces_threads_and_tags_are_404(agent_client, thread, billing) -> None:
    other = WorkspaceFactory()
    foreign_thread = ThreadFactory(workspace=other)
    foreign_tag = services.tag_create(workspace=other, name="Theirs")
    assert agent_client.get(f"/inbox/threads/{foreign_thread.pk}/tags/suggest/").status_code == 404
    assert (
        agent_client.post(
            f"/inbox/threads/{foreign_thread.pk}/tags/", {"tag": billing.pk}
        ).status_code
        == 404
    )
    assert (
        agent_client.post(
            f"/inbox/threads/{foreign_thread.pk}/tags/remove/", {"tag": billing.pk}
        ).status_code
        == 404
    )
    assert (
        agent_client.post(f"/inbox/threads/{thread.pk}/tags/", {"tag": foreign_tag.pk}).status_code
        == 404
    )
    assert (
        agent_client.post(
            f"/inbox/threads/{thread.pk}/tags/remove/", {"tag": foreign_tag.pk}
        ).status_code
        == 404
    )
    assert tag_names(thread) == [] and tag_names(foreign_thread) == []
    # Their tag is not offered, listed or counted here.
    html = agent_client.get(
        f"/inbox/threads/{thread.pk}/tags/suggest/", {"name": "the"}
    ).content.decode()
    assert "Theirs" not in html.replace("Create tag “the”", "")
    assert "Theirs" not in agent_client.get("/inbox/").content.decode()


# --- settings ---------------------------------------------------------------------------------


def test_settings_are_for_admins_only(agent_client, admin_client, billing) -> None:
    assert agent_client.get("/settings/tags/").status_code in (403, 404)
    assert agent_client.post(
        f"/settings/tags/{billing.pk}/", {"name": "X", "colour": "red"}
    ).status_code in (403, 404)
    assert Tag.objects.get(pk=billing.pk).name == "Billing"
    html = admin_client.get("/settings/tags/").content.decode()
    assert "Billing" in html and 'aria-current="page">Tags<' in html


def test_admins_create_rename_and_merge(admin_client, workspace, billing) -> None:
    response = admin_client.post("/settings/tags/new/", {"name": "Invoices", "colour": "green"})
    assert response.status_code == 302
    invoices = Tag.objects.get(name="Invoices")
    thread = ThreadFactory(workspace=workspace)
    services.thread_tag_add(thread=thread, tag=invoices)

    admin_client.post(f"/settings/tags/{billing.pk}/", {"name": "Payments", "colour": "purple"})
    billing.refresh_from_db()
    assert (billing.name, billing.colour) == ("Payments", "purple")

    response = admin_client.post(f"/settings/tags/{invoices.pk}/merge/", {"target": billing.pk})
    assert response.status_code == 302
    assert not Tag.objects.filter(pk=invoices.pk).exists()
    assert tag_names(thread) == ["Payments"]
    page = admin_client.get("/settings/tags/").content.decode()
    assert "Merged “Invoices” into “Payments”: 1 conversation moved." in page


def test_settings_errors_show_next_to_their_field(admin_client, workspace, billing) -> None:
    services.tag_create(workspace=workspace, name="Refunds")
    response = admin_client.post("/settings/tags/new/", {"name": "billing", "colour": "red"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="tag-create-name-error"' in html and "A tag named “billing” already exists." in html
    response = admin_client.post(f"/settings/tags/{billing.pk}/", {"name": "", "colour": "red"})
    assert f'id="tag-{billing.pk}-name-error"' in response.content.decode()
    response = admin_client.post(f"/settings/tags/{billing.pk}/merge/", {"target": ""})
    assert "Choose the tag to merge into." in response.content.decode()


def test_settings_of_another_workspace_are_404(admin_client) -> None:
    foreign = services.tag_create(workspace=WorkspaceFactory(), name="Theirs")
    assert (
        admin_client.post(
            f"/settings/tags/{foreign.pk}/", {"name": "Mine", "colour": "red"}
        ).status_code
        == 404
    )
    assert (
        admin_client.post(f"/settings/tags/{foreign.pk}/merge/", {"target": foreign.pk}).status_code
        == 404
    )
    assert Tag.objects.get(pk=foreign.pk).name == "Theirs"


def test_an_empty_settings_page_says_how_to_start(admin_client) -> None:
    assert "No tags yet" in admin_client.get("/settings/tags/").content.decode()


def test_other_workspace_admin_cannot_merge_into_our_tag(workspace, billing) -> None:
    other_admin = AgentFactory(workspace=WorkspaceFactory(), role="admin")
    client = Client()
    client.force_login(other_admin.user)
    theirs = services.tag_create(workspace=other_admin.workspace, name="Theirs")
    assert (
        client.post(f"/settings/tags/{theirs.pk}/merge/", {"target": billing.pk}).status_code == 404
    )
    assert Tag.objects.filter(pk=theirs.pk).exists()


def test_a_list_refresh_brings_fresh_tag_counts_out_of_band(agent_client, workspace, billing):
    ThreadFactory(workspace=workspace)
    services.thread_tag_add(thread=ThreadFactory(workspace=workspace), tag=billing)
    html = agent_client.get("/inbox/poll/", {"view": "open"}, **HTMX).content.decode()
    assert re.search(r'id="tag-nav"[^>]*hx-swap-oob="true"', html)
    assert re.search(rf'data-tag-count="{billing.pk}">1<', html)
