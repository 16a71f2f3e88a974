"""The live endpoints of `make bench-ui` (a sibling module of bench_ui.py): the bell's unread
poll and its list, and the thread page's presence heartbeat, against a goal of p95 under 50 ms.

Seeds notifications once (kept with BENCH_KEEP=1): NOTIFICATIONS_PER_AGENT for every agent of
the bench workspace, and for the measured agent HEAVY_NOTIFICATIONS with UNREAD of them unread,
so the unread count must come from its partial index, not from a scan of the agent's history.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpdesk.models import Agent, Workspace
from inbox.models import Notification, Thread
from inbox.selectors.notifications import notification_unread

NOTIFICATIONS_PER_AGENT = 2_000
HEAVY_NOTIFICATIONS = 50_000
UNREAD = 40
GOAL_MS = 50.0
KINDS = Notification.Kind.values


def seed_notifications(workspace: Workspace, agent: Agent) -> None:
    if Notification.objects.filter(workspace=workspace).exists():
        return
    thread_ids = list(
        Thread.objects.filter(workspace=workspace)
        .order_by("-id")
        .values_list("id", flat=True)[:5000]
    )
    now = timezone.now()
    others = list(Agent.objects.filter(workspace=workspace).exclude(pk=agent.pk))
    plan = [(other.user_id, NOTIFICATIONS_PER_AGENT, 5) for other in others]
    plan.append((agent.user_id, HEAVY_NOTIFICATIONS, UNREAD))
    for user_id, count, unread in plan:
        rows = [
            Notification(
                workspace=workspace,
                recipient_id=user_id,
                thread_id=thread_ids[n % len(thread_ids)],
                kind=KINDS[n % len(KINDS)],
                data={},
                created_at=now - timedelta(minutes=count - n),
                read_at=None if n >= count - unread else now,
            )
            for n in range(count)
        ]
        Notification.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Notification._meta.db_table}")


def _timed(call: Callable[[], int], runs: int) -> tuple[float, float, int]:
    call()  # warm
    times, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            status = call()
            times.append((time.perf_counter() - started) * 1000)
        assert status in (200, 204), status
        queries = len(captured.captured_queries)
    times.sort()
    p95 = times[max(int(len(times) * 0.95) - 1, 0)]
    return statistics.median(times), p95, queries


def measure_live(workspace: Workspace, agent: Agent, client: Client, runs: int) -> None:
    seed_notifications(workspace, agent)
    thread = Thread.objects.filter(workspace=workspace).order_by("-id").first()
    assert thread is not None
    colleague = Agent.objects.filter(workspace=workspace).exclude(pk=agent.pk).first()
    assert colleague is not None
    other = Client()
    other.force_login(colleague.user)
    htmx = {"HX-Request": "true"}
    stamp = notification_unread(user_id=agent.user_id).stamp
    presence_url = f"/inbox/threads/{thread.pk}/presence/"
    # A colleague is on the thread too, so the heartbeat answers with someone in it.
    other.post(presence_url, {"state": "replying"}, headers=htmx)
    first = client.post(presence_url, {"state": "viewing"}, headers=htmx).content.decode()
    presence_stamp = first.split('"stamp": "', 1)[1].split('"', 1)[0]
    oldest_page = Notification.objects.filter(recipient_id=agent.user_id).order_by("-id")[1000].pk

    def get(url: str) -> Callable[[], int]:
        return lambda: client.get(url, headers=htmx).status_code

    def beat(stamp_value: str) -> Callable[[], int]:
        return lambda: (
            client.post(
                presence_url, {"state": "viewing", "stamp": stamp_value}, headers=htmx
            ).status_code
        )

    pages: list[tuple[str, Callable[[], int]]] = [
        ("bell poll (nothing new)", get(f"/inbox/notifications/poll/?stamp={stamp}")),
        ("bell poll (changed)", get("/inbox/notifications/poll/?stamp=")),
        ("bell list (panel)", get("/inbox/notifications/")),
        ("bell list (older page)", get(f"/inbox/notifications/?before={oldest_page}")),
        ("presence beat (unchanged)", beat(presence_stamp)),
        ("presence beat (changed)", beat("")),
    ]
    total = Notification.objects.filter(recipient_id=agent.user_id).count()
    print(
        f"\nlive endpoints: the agent has {total:,} notifications ({UNREAD} unread), "
        f"{Notification.objects.filter(workspace=workspace).count():,} in the workspace\n"
    )
    print(f"{'endpoint':<32} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    worst = 0.0
    for label, call in pages:
        # The colleague beats again before each series (their entry lives PRESENCE_TTL).
        other.post(presence_url, {"state": "replying"}, headers=htmx)
        p50, p95, queries = _timed(call, runs)
        worst = max(worst, p95)
        print(f"{label:<32} {p50:>8.1f} {p95:>8.1f} {queries:>8}")
    verdict = "met" if worst < GOAL_MS else "NOT met"
    print(f"\nlive goal p95 < {GOAL_MS:.0f} ms: {verdict} (worst p95 {worst:.1f} ms)")
