"""Workspace tags: names unique per workspace whatever their case, threads' tags recorded as
`tags_changed` events, renames and merges."""

from __future__ import annotations

import pytest

from helpdesk.refusals import Refused
from inbox.models import Tag, Thread, ThreadEvent
from inbox.services import tags as services
from tests.factories import AgentFactory, ThreadFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def tag_events(thread: Thread) -> list[tuple[int | None, dict]]:
    return [
        (event.actor_id, event.data)
        for event in ThreadEvent.objects.filter(thread=thread, kind="tags_changed")
    ]


def names(thread: Thread) -> list[str]:
    return sorted(tag.name for tag in thread.tags.all())


@pytest.fixture
def agent():
    return AgentFactory()


@pytest.fixture
def thread(agent):
    return ThreadFactory(workspace=agent.workspace)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("Billing", "Billing"), ("  two   words ", "two words"), ("x" * 50, "x" * 50)],
)
def test_tag_names_are_trimmed(typed: str, stored: str) -> None:
    assert services.clean_tag_name(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a name for the tag."),
        ("   ", "Enter a name for the tag."),
        ("x" * 51, "A tag name has at most 50 characters."),
    ],
)
def test_empty_or_long_names_are_refused_with_a_sentence(typed: str, message: str) -> None:
    with pytest.raises(Refused, match=message) as refusal:
        services.clean_tag_name(typed)
    assert refusal.value.field == "name"


def test_a_name_is_unique_per_workspace_ignoring_case(agent) -> None:
    services.tag_create(workspace=agent.workspace, name="Billing")
    with pytest.raises(Refused, match="already exists"):
        services.tag_create(workspace=agent.workspace, name="BILLING")
    # Another workspace may have its own "billing".
    other = services.tag_create(workspace=WorkspaceFactory(), name="billing")
    assert other.pk


def test_an_unknown_colour_is_refused(agent) -> None:
    with pytest.raises(Refused, match="colours offered"):
        services.tag_create(workspace=agent.workspace, name="Billing", colour="#ff0000")


def test_new_tags_get_a_stable_colour_from_their_name(agent) -> None:
    tag = services.tag_create(workspace=agent.workspace, name="Refunds")
    assert tag.colour == services.automatic_colour("refunds") != Tag.Colour.GREY


def test_find_or_create_reuses_a_tag_whatever_its_case(agent) -> None:
    tag = services.tag_create(workspace=agent.workspace, name="Billing")
    assert services.tag_find_or_create(workspace=agent.workspace, name=" billing ") == tag
    created = services.tag_find_or_create(workspace=agent.workspace, name="Refunds")
    assert created.pk != tag.pk and created.name == "Refunds"


def test_adding_and_removing_tags_records_one_event_each(agent, thread) -> None:
    billing = services.tag_create(workspace=agent.workspace, name="Billing")
    urgent = services.tag_create(workspace=agent.workspace, name="Urgent")
    services.thread_tag_add(thread=thread, tag=billing, by=agent)
    services.thread_tag_add(thread=thread, tag=billing, by=agent)  # no change, no event
    services.thread_tags_set(thread=thread, tags=[urgent], by=None)
    services.thread_tag_remove(thread=thread, tag=urgent, by=agent)
    assert names(thread) == []
    assert tag_events(thread) == [
        (agent.user_id, {"added": ["Billing"], "removed": []}),
        (None, {"added": ["Urgent"], "removed": ["Billing"]}),
        (agent.user_id, {"added": [], "removed": ["Urgent"]}),
    ]


def test_a_tag_of_another_workspace_is_refused(agent, thread) -> None:
    foreign = services.tag_create(workspace=WorkspaceFactory(), name="Billing")
    with pytest.raises(Refused, match="not in this workspace"):
        services.thread_tag_add(thread=thread, tag=foreign, by=agent)
    assert names(thread) == []
    assert tag_events(thread) == []


def test_renaming_keeps_the_tag_on_its_threads_and_refuses_a_taken_name(agent, thread) -> None:
    billing = services.tag_create(workspace=agent.workspace, name="Billing")
    services.tag_create(workspace=agent.workspace, name="Refunds")
    services.thread_tag_add(thread=thread, tag=billing, by=agent)
    services.tag_update(tag=billing, name="Invoices", colour="blue")
    assert names(thread) == ["Invoices"]
    assert Tag.objects.get(pk=billing.pk).colour == "blue"
    # Its own name in another case is fine; another tag's name is not.
    services.tag_update(tag=billing, name="INVOICES", colour="blue")
    with pytest.raises(Refused, match="already exists"):
        services.tag_update(tag=billing, name="refunds", colour="blue")


def test_merging_moves_threads_and_deletes_the_old_tag(agent) -> None:
    old = services.tag_create(workspace=agent.workspace, name="Invoice")
    new = services.tag_create(workspace=agent.workspace, name="Billing")
    only_old = ThreadFactory(workspace=agent.workspace)
    both = ThreadFactory(workspace=agent.workspace)
    untouched = ThreadFactory(workspace=agent.workspace)
    services.thread_tag_add(thread=only_old, tag=old)
    services.thread_tags_set(thread=both, tags=[old, new])
    services.thread_tag_add(thread=untouched, tag=new)
    ThreadEvent.objects.all().delete()

    moved = services.tag_merge(source=old, target=new, by=agent)

    assert moved == 2
    assert not Tag.objects.filter(pk=old.pk).exists()
    assert names(only_old) == names(both) == names(untouched) == ["Billing"]
    assert tag_events(only_old) == [(agent.user_id, {"added": ["Billing"], "removed": ["Invoice"]})]
    assert tag_events(both) == [(agent.user_id, {"added": [], "removed": ["Invoice"]})]
    assert tag_events(untouched) == []


def test_merging_refuses_itself_and_other_workspaces(agent) -> None:
    tag = services.tag_create(workspace=agent.workspace, name="Billing")
    foreign = services.tag_create(workspace=WorkspaceFactory(), name="Other")
    with pytest.raises(Refused, match="another tag"):
        services.tag_merge(source=tag, target=tag)
    with pytest.raises(Refused, match="not in this workspace"):
        services.tag_merge(source=tag, target=foreign)
    assert Tag.objects.filter(pk=tag.pk).exists()
