"""Migration 0045: threads closed or assigned before events existed get the implied event."""

from __future__ import annotations

import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from inbox.models import Thread, ThreadEvent
from tests.factories import AgentFactory, ThreadFactory, WorkspaceFactory

backfill_migration = importlib.import_module("inbox.migrations.0045_backfill_thread_events")

pytestmark = pytest.mark.django_db


def run_backfill() -> None:
    # The migration reads only the editor's connection (SQLite's real editor refuses to open
    # inside the test's transaction).
    backfill_migration.backfill(None, SimpleNamespace(connection=connection))


def test_legacy_closed_spam_and_assigned_threads_get_their_events() -> None:
    workspace = WorkspaceFactory()
    agent = AgentFactory(workspace=workspace)
    last = timezone.now() - timedelta(days=40)
    closed = ThreadFactory(workspace=workspace, status=Thread.Status.CLOSED, last_message_at=last)
    spam = ThreadFactory(
        workspace=workspace, status=Thread.Status.CLOSED, is_spam=True, last_message_at=last
    )
    assigned = ThreadFactory(workspace=workspace, assignee=agent.user)
    untouched = ThreadFactory(workspace=workspace)

    run_backfill()

    events = {e.thread_id: e for e in ThreadEvent.objects.all()}
    assert events[closed.pk].kind == "closed"
    assert events[closed.pk].at == last
    assert events[closed.pk].actor_id is None
    assert events[closed.pk].data == {"backfilled": True}
    assert events[closed.pk].workspace_id == workspace.pk
    assert events[spam.pk].kind == "spam"
    assert events[assigned.pk].kind == "assigned"
    assert events[assigned.pk].at == assigned.created_at
    assert events[assigned.pk].data["assignee_id"] == agent.user_id
    assert events[assigned.pk].data["backfilled"] is True
    assert untouched.pk not in events


def test_threads_with_events_are_left_alone_and_a_second_run_adds_nothing() -> None:
    workspace = WorkspaceFactory()
    agent = AgentFactory(workspace=workspace)
    reopened_then_closed = ThreadFactory(workspace=workspace, status=Thread.Status.CLOSED)
    ThreadEvent.objects.create(
        thread=reopened_then_closed,
        workspace=workspace,
        kind="reopened",
        at=timezone.now(),
        data={},
    )
    assigned = ThreadFactory(workspace=workspace, assignee=agent.user)
    ThreadEvent.objects.create(
        thread=assigned,
        workspace=workspace,
        kind="assigned",
        at=timezone.now(),
        data={"assignee_id": agent.user_id},
    )

    run_backfill()
    run_backfill()

    assert ThreadEvent.objects.count() == 2
