"""seed_demo gives the reports four weeks of history, once, quickly."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from inbox.management.commands import seed_demo
from inbox.models import InboundEmail, Message, Thread, ThreadEvent

pytestmark = pytest.mark.django_db


def _seed(tmp_path, monkeypatch) -> float:
    monkeypatch.setattr(seed_demo, "CREDENTIALS_FILE", tmp_path / "demo-credentials.json")
    started = time.perf_counter()
    call_command("seed_demo", "--json", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return time.perf_counter() - started


def test_the_demo_has_four_weeks_of_threads_replies_closes_and_rejections(
    tmp_path, monkeypatch
) -> None:
    elapsed = _seed(tmp_path, monkeypatch)
    assert elapsed < 3.0
    threads = Thread.objects.filter(workspace__subdomain="demo")
    oldest = threads.order_by("created_at").first().created_at
    assert timezone.now() - oldest > timedelta(days=20)
    kinds = set(
        ThreadEvent.objects.filter(workspace__subdomain="demo").values_list("kind", flat=True)
    )
    assert {"assigned", "closed", "reopened"} <= kinds
    assert Message.objects.filter(workspace__subdomain="demo", direction="out").count() > 30
    rejected = InboundEmail.objects.filter(workspace__subdomain="demo", status="rejected")
    assert rejected.count() == len(seed_demo.DEMO_REJECTED)
    # What the events say agrees with the threads' status.
    for thread in threads.filter(events__isnull=False).distinct():
        last = thread.events.filter(kind__in=["closed", "reopened"]).order_by("at", "id").last()
        if last is not None:
            assert thread.status == ("closed" if last.kind == "closed" else "open")


def test_seeding_twice_adds_no_history(tmp_path, monkeypatch) -> None:
    _seed(tmp_path, monkeypatch)
    counts = [model.objects.count() for model in (Thread, Message, ThreadEvent, InboundEmail)]
    _seed(tmp_path, monkeypatch)
    assert counts == [
        model.objects.count() for model in (Thread, Message, ThreadEvent, InboundEmail)
    ]


def test_the_reports_have_something_to_draw_after_seeding(tmp_path, monkeypatch) -> None:
    _seed(tmp_path, monkeypatch)
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    csv = client.get("/reports/first-response.csv?range=30").content.decode().splitlines()
    timed = sum(int(line.split(",")[3]) for line in csv[1:])
    assert timed > 30
    assert client.get("/reports/backlog/?range=30").status_code == 200
