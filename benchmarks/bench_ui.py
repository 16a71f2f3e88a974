"""`make bench-ui`: the agents' inbox at a million messages.

Seeds one workspace in PostgreSQL with BENCH_THREADS threads (100,000) and BENCH_MESSAGES
messages (1,000,000) using COPY, with a progress bar, then requests each inbox page through
Django's test client and prints p50/p95 server time and the query count: every list view (first
page and a deep page), a thread with 50 messages, a search, and the poll. The goal is p95 under
100 ms and a query count that does not depend on the data size. Then the reports: the page, and each
report as the page loads it (its own request), for the last 7, 30 and 90 days (an admin's, and
an agent's at 90), against a goal of p95 under 300 ms; for them the seed also writes the thread events (assignments, closes) and a
rejected delivery every 50 threads.

BENCH_UI_DATABASE_URL names the database (default helpdesk_bench_ui on 127.0.0.1, created when
missing); BENCH_KEEP=1 reuses an already seeded workspace; BENCH_RUNS sets the requests per page.
"""

from __future__ import annotations

import itertools
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# A database of its own (created when missing), never the one DATABASE_URL names: the seed adds
# a million rows.
BENCH_DATABASE_URL = os.environ.get(
    "BENCH_UI_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_bench_ui"
)


def _create_database_if_missing(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


if BENCH_DATABASE_URL.startswith(("postgres://", "postgresql://")):
    _create_database_if_missing(BENCH_DATABASE_URL)
os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
# Production mode (cached templates, no query log): the numbers an install would see.
os.environ.setdefault("DEBUG", "false")
# As a web process plans its queries (helpdesk/wsgi.py).
os.environ.setdefault("DATABASE_PLAN_CACHE_MODE", "force_custom_plan")
os.environ.setdefault("SECRET_KEY", "bench-ui-" + os.urandom(16).hex())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402 (after the environment it reads)

django.setup()

from bench_live import measure_live  # noqa: E402 (a sibling module of this script)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from channels_cfg.models import EmailChannel  # noqa: E402
from helpdesk.models import Agent, Workspace  # noqa: E402
from inbox.models import Contact, Message, Thread, ThreadEvent, Ticket  # noqa: E402
from inbox.selectors.threads import encode_cursor  # noqa: E402

THREADS = int(os.environ.get("BENCH_THREADS", "100000"))
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
KEEP = os.environ.get("BENCH_KEEP", "") == "1"
SUBDOMAIN = "bench-ui"
AGENTS = 20
CONTACTS = THREADS // 4
BIG_THREAD_MESSAGES = 50
GOAL_MS = 100.0
REPORTS_GOAL_MS = 300.0
SEEDED_TABLES = (
    "inbox_contact",
    "inbox_thread",
    "inbox_ticket",
    "inbox_message",
    "inbox_threadevent",
    "inbox_inboundemail",
)
REJECT_REASONS = ("blocked_sender", "spam", "too_large", "no_channel")
# Message bodies: words drawn from a vocabulary of VOCABULARY words with Zipf-like frequencies
# (the word of rank r is used about 1/r as often as the most common one), as in real mail, so
# full-text search meets common words (in ~40% of messages) and rare ones (~0.1%).
VOCABULARY = 5000
COMMON_RANK, RARE_RANK = 12, 3500
SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "pi", "da", "ge", "ho", "ju", "ly")

WORDS = [
    "invoice",
    "order",
    "refund",
    "printer",
    "login",
    "password",
    "shipping",
    "delivery",
    "account",
    "upgrade",
    "billing",
    "error",
    "crash",
    "export",
    "report",
    "feature",
    "question",
    "urgent",
    "broken",
    "missing",
    "late",
    "damaged",
]
FIRST = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Barbara",
    "Ken",
    "Margaret",
    "Dennis",
    "Radia",
    "Edsger",
    "Frances",
    "John",
]
LAST = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Liskov",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Perlman",
    "Dijkstra",
]


def contact_email(n: int) -> str:
    return f"customer{n}@example{n % 700}.com"


def vocabulary() -> list[str]:
    """VOCABULARY distinct words, the helpdesk's own words first, then made-up ones."""
    rng = random.Random(11)
    words = ["the", "to", "and", "you", "my", "is", "for", "it", "we", "please", "thanks"]
    words += [word for word in WORDS if word not in words]
    seen = set(words)
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


VOCABULARY_WORDS = vocabulary()
_ZIPF_WEIGHTS = list(itertools.accumulate(1 / rank for rank in range(1, VOCABULARY + 1)))
COMMON_WORD = VOCABULARY_WORDS[COMMON_RANK - 1]
RARE_WORD = VOCABULARY_WORDS[RARE_RANK - 1]
PHRASE = f"{VOCABULARY_WORDS[1]} {VOCABULARY_WORDS[4]}"


def message_body(rng: random.Random) -> str:
    """Sentences of 4 to 16 words drawn Zipf-like from the vocabulary, 20 to 80 words in all."""
    words = rng.choices(VOCABULARY_WORDS, cum_weights=_ZIPF_WEIGHTS, k=rng.randint(20, 80))
    sentences, start = [], 0
    while start < len(words):
        end = start + rng.randint(4, 16)
        sentences.append(" ".join(words[start:end]).capitalize() + ".")
        start = end
    return "Hi team,\n" + " ".join(sentences) + "\nThanks"


def progress(label: str, done: int, total: int) -> None:
    width = 40
    filled = int(width * done / max(total, 1))
    bar = "#" * filled + "-" * (width - filled)
    sys.stderr.write(f"\r{label:<10} [{bar}] {done:>9,}/{total:,}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608
        return int(cursor.fetchone()[0])


def reset_sequence(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )


def copy_rows(
    table: str, columns: list[str], rows: Iterator[tuple], total: int, label: str
) -> None:
    """COPY rows into a table (psycopg 3), drawing progress every 1% of the rows."""
    step = max(total // 100, 1)
    # Fields added later (NOT NULL, no database default) get their model's default.
    extra = required_defaults(table, columns)
    quoted = ", ".join(f'"{name}"' for name in [*columns, *extra])
    tail = tuple(extra.values())
    raw = connection.connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        for index, row in enumerate(rows, 1):
            copy.write_row(row + tail)
            if index % step == 0:
                progress(label, index, total)
    progress(label, total, total)


def required_defaults(table: str, columns: list[str]) -> dict[str, Any]:
    """The NOT NULL columns without a database default that `columns` leaves out, each with its
    model field's default (the seed lists the columns it knows; others' fields keep working)."""
    from django.apps import apps

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    extra: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.column in columns or field.null or field.primary_key:
            continue
        if field.db_default is not models.NOT_PROVIDED:
            continue
        value = field.get_default()
        extra[str(field.column)] = field.get_db_prep_save(value, connection)
    return extra


def drop_old_workspace() -> None:
    workspace = Workspace.objects.filter(subdomain=SUBDOMAIN).first()
    if workspace is None:
        return
    print("removing the previous bench workspace ...", file=sys.stderr)
    with connection.cursor() as cursor:
        for table, column in (
            (
                "inbox_threadevent",
                "thread_id IN (SELECT id FROM inbox_thread WHERE workspace_id = %s)",
            ),
            ("inbox_inboundemail", "workspace_id = %s"),
            ("inbox_ticket", "thread_id IN (SELECT id FROM inbox_thread WHERE workspace_id = %s)"),
            (
                "inbox_threadreadstate",
                "thread_id IN (SELECT id FROM inbox_thread WHERE workspace_id = %s)",
            ),
            ("inbox_message", "workspace_id = %s"),
            ("inbox_thread", "workspace_id = %s"),
            ("inbox_contact", "workspace_id = %s"),
        ):
            cursor.execute(f"DELETE FROM {table} WHERE {column}", [workspace.pk])  # noqa: S608
    users = list(Agent.objects.filter(workspace=workspace).values_list("user_id", flat=True))
    workspace.delete()
    get_user_model().objects.filter(pk__in=users).delete()


def seed() -> Workspace:
    rng = random.Random(5)
    drop_old_workspace()
    workspace = Workspace.objects.create(
        name="Bench", company_name="Bench Inc", subdomain=SUBDOMAIN, plan=Workspace.Plan.PAID
    )
    User = get_user_model()
    agents = []
    for index in range(AGENTS):
        user = User.objects.create_user(
            username=f"bench-ui-{index}",
            password=None,
            first_name=rng.choice(FIRST),
            last_name=rng.choice(LAST),
        )
        role = Agent.Role.ADMIN if index == 0 else Agent.Role.AGENT
        agents.append(Agent.objects.create(user=user, workspace=workspace, role=role))
    channel = EmailChannel.objects.create(
        workspace=workspace,
        name="Support",
        company_name="Bench Inc",
        status=EmailChannel.Status.CONNECTED,
        signature_html="<p>{{full_name}}</p>",
    )
    now = datetime.now(UTC)

    contact_base = next_id("inbox_contact")
    copy_rows(
        "inbox_contact",
        ["id", "workspace_id", "email", "name", "created_at"],
        (
            (
                contact_base + n,
                workspace.pk,
                contact_email(n),
                f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                now,
            )
            for n in range(CONTACTS)
        ),
        CONTACTS,
        "contacts",
    )
    reset_sequence("inbox_contact")

    # Thread i gets `per_thread[i]` messages; thread 0 is the 50-message thread.
    remaining = MESSAGES - BIG_THREAD_MESSAGES
    per_thread = [BIG_THREAD_MESSAGES] + [remaining // (THREADS - 1)] * (THREADS - 1)
    for index in range(remaining - sum(per_thread[1:])):
        per_thread[1 + index] += 1
    thread_base = next_id("inbox_thread")
    last_at = [now - timedelta(minutes=i * 7 + rng.randint(0, 6)) for i in range(THREADS)]
    # Minutes between a thread's messages: the first reply comes one gap after the thread began.
    gaps = [rng.choice((3, 12, 45, 90, 240)) for _ in range(THREADS)]
    created_at = [last_at[i] - timedelta(minutes=per_thread[i] * gaps[i]) for i in range(THREADS)]
    user_ids = [agent.user_id for agent in agents]
    assignees: list[int | None] = []
    closed_threads: list[int] = []

    def thread_rows() -> Iterator[tuple]:
        for i in range(THREADS):
            closed = i > THREADS * 0.3 and rng.random() < 0.8
            assignee = None if rng.random() < 0.3 else rng.choice(user_ids)
            assignees.append(assignee)
            if closed:
                closed_threads.append(i)
            subject = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} #{i}"
            yield (
                thread_base + i,
                workspace.pk,
                channel.pk,
                contact_base + (i % CONTACTS),
                subject,
                f"Hello, about my {rng.choice(WORDS)} ...",
                "closed" if closed else "open",
                "conversation",
                False,
                assignee,
                None,
                per_thread[i],
                created_at[i],
                last_at[i],
            )

    copy_rows(
        "inbox_thread",
        [
            "id",
            "workspace_id",
            "channel_id",
            "contact_id",
            "subject",
            "snippet",
            "status",
            "kind",
            "is_spam",
            "assignee_id",
            "assigned_team_id",
            "message_count",
            "created_at",
            "last_message_at",
        ],
        thread_rows(),
        THREADS,
        "threads",
    )
    reset_sequence("inbox_thread")

    copy_rows(
        "inbox_ticket",
        [
            "thread_id",
            "name",
            "pipeline",
            "status",
            "priority",
            "category",
            "owner_id",
            "created_at",
        ],
        (
            (thread_base + i, "Ticket", "support", "new", "medium", "", None, now)
            for i in range(THREADS)
        ),
        THREADS,
        "tickets",
    )

    def message_rows() -> Iterator[tuple]:
        html = "<p>Hi team,</p><p>The thing is <b>broken</b> again.</p>"
        bodies = random.Random(7)
        # In arrival order, as a live system numbers them: the newest messages have the
        # highest ids (full-text search reads its candidates newest first, by id).
        arrivals = sorted(
            (last_at[i] - timedelta(minutes=(per_thread[i] - m) * gaps[i]), i, m)
            for i in range(THREADS)
            for m in range(per_thread[i])
        )
        for created, i, m in arrivals:
            thread_id = thread_base + i
            outbound = m % 2 == 1
            yield (
                workspace.pk,
                thread_id,
                "out" if outbound else "in",
                f"<bench.{i}.{m}@example.com>",
                "",
                "",
                # Inbound mail comes from the thread's contact, as the pipeline stores it.
                "support@bench.example" if outbound else contact_email(i % CONTACTS),
                "",
                "",
                "",
                "",
                "[]",
                "",
                "",
                "",
                f"Re: thread {i}",
                message_body(bodies),
                html if m % 3 == 0 else "",
                False,
                False,
                None,
                user_ids[i % AGENTS] if outbound else None,
                "sent" if outbound else "",
                "",
                0,
                None,
                None,
                "",
                None,
                created,
            )

    copy_rows(
        "inbox_message",
        [
            "workspace_id",
            "thread_id",
            "direction",
            "message_id",
            "in_reply_to",
            "references",
            "from_email",
            "from_name",
            "forwarded_by",
            "attributed_via",
            "attribution_rule",
            "sender_warnings",
            "forwarder_note",
            "to",
            "cc",
            "subject",
            "text",
            "html",
            "is_auto_reply",
            "is_bounce",
            "bounce_of_id",
            "sent_by_id",
            "delivery_status",
            "delivery_error",
            "delivery_attempts",
            "sent_at",
            "send_started_at",
            "content_digest",
            "inbound_id",
            "created_at",
        ],
        message_rows(),
        MESSAGES,
        "messages",
    )
    seed_report_rows(
        workspace, channel, thread_base, created_at, last_at, assignees, closed_threads
    )
    # What autovacuum does on a live install: statistics for the planner, and the visibility
    # map that lets counts read indexes alone (this machine's PostgreSQL runs no autovacuum, and
    # a reseed leaves the old workspace's rows dead).
    print("vacuuming and analyzing ...", file=sys.stderr)
    with connection.cursor() as cursor:
        for table in SEEDED_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
    return workspace


def seed_report_rows(
    workspace: Workspace,
    channel: EmailChannel,
    thread_base: int,
    created_at: list[datetime],
    last_at: list[datetime],
    assignees: list[int | None],
    closed_threads: list[int],
) -> None:
    """What the reports read besides threads and messages: an "assigned" event five minutes
    after each assigned thread began, a "closed" event an hour after each closed thread's last
    message, and one rejected delivery per 50 threads."""

    def event_rows() -> Iterator[tuple]:
        for i, assignee in enumerate(assignees):
            if assignee is not None:
                data = f'{{"assignee_id": {assignee}, "team_id": null}}'
                at = created_at[i] + timedelta(minutes=5)
                yield (workspace.pk, thread_base + i, "assigned", None, at, data)
        for i in closed_threads:
            at = last_at[i] + timedelta(hours=1)
            yield (workspace.pk, thread_base + i, "closed", assignees[i], at, "{}")

    total = sum(1 for a in assignees if a is not None) + len(closed_threads)
    columns = ["workspace_id", "thread_id", "kind", "actor_id", "at", "data"]
    copy_rows("inbox_threadevent", columns, event_rows(), total, "events")
    rejected = len(assignees) // 50

    def rejected_rows() -> Iterator[tuple]:
        for n in range(rejected):
            key = f"bench-ui-{workspace.pk}-{n}"
            reason = REJECT_REASONS[n % len(REJECT_REASONS)]
            yield (
                *("bench", key, "support@bench.example", f"x{n}@spam.example", "{}", b"x", 1),
                *(f"{n:064x}", key, last_at[n * 50], "rejected", reason, "Refused.", 1, "[]"),
                *(f"x{n}@spam.example", "Buy now", workspace.pk, channel.pk),
            )

    copy_rows(
        "inbox_inboundemail",
        [
            *("esp", "esp_event_id", "envelope_recipient", "envelope_sender", "esp_verdicts"),
            *("raw", "size", "sha256", "idempotency_key", "received_at", "status", "reason_code"),
            *("reason_detail", "attempts", "skip_checks", "from_header", "subject"),
            *("workspace_id", "channel_id"),
        ],
        rejected_rows(),
        rejected,
        "rejected",
    )


def measure(
    client: Client, url: str, headers: dict[str, str] | None = None
) -> tuple[float, float, int]:
    client.get(url, headers=headers)  # warm: caches and connection
    times, queries = [], 0
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 204), (url, response.status_code)
        queries = len(captured.captured_queries)
    times.sort()
    p95 = times[max(int(len(times) * 0.95) - 1, 0)]
    return statistics.median(times), p95, queries


def deep_cursor(workspace: Workspace, condition: Callable[[Any], Any], offset: int) -> str:
    thread = (
        condition(Thread.objects.filter(workspace=workspace, is_spam=False))
        .order_by("-last_message_at", "-id")[offset : offset + 1]
        .first()
    )
    return encode_cursor(thread) if thread else ""


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench-ui needs PostgreSQL: set BENCH_UI_DATABASE_URL=postgres://...")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # Production mode serves hashed static files from the manifest collectstatic writes.
    call_command("collectstatic", interactive=False, verbosity=0)
    workspace = Workspace.objects.filter(subdomain=SUBDOMAIN).first()
    seeded = (
        workspace is not None
        and KEEP
        and Message.objects.filter(workspace=workspace).count() >= MESSAGES
    )
    if not seeded:
        started = time.perf_counter()
        workspace = seed()
        print(f"seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    assert workspace is not None
    agent = (
        Agent.objects.filter(workspace=workspace, role=Agent.Role.ADMIN)
        .select_related("user")
        .first()
    )
    assert agent is not None
    client = Client()
    client.force_login(agent.user)
    me = agent.user_id
    views = {
        "unassigned": lambda qs: qs.filter(
            kind="conversation", status="open", assignee__isnull=True
        ),
        "mine": lambda qs: qs.filter(kind="conversation", status="open", assignee_id=me),
        "open": lambda qs: qs.filter(kind="conversation", status="open"),
        "closed": lambda qs: qs.filter(kind="conversation", status="closed"),
    }
    big_thread = (
        Thread.objects.filter(workspace=workspace, message_count=BIG_THREAD_MESSAGES)
        .order_by("id")
        .first()
    )
    assert big_thread is not None
    some_contact = Contact.objects.filter(workspace=workspace).order_by("id")[CONTACTS // 2]
    stamp = (
        Message.objects.filter(workspace=workspace).order_by("-id").values_list("id", flat=True)[0]
    )
    pages: list[tuple[str, str]] = []
    for slug, condition in views.items():
        pages.append((f"list {slug} (first page)", f"/inbox/?view={slug}"))
        cursor = deep_cursor(workspace, condition, min(2000, THREADS // 10))
        if cursor:
            pages.append((f"list {slug} (deep page)", f"/inbox/?view={slug}&cursor={cursor}"))
    pages += [
        ("thread with 50 messages", f"/inbox/threads/{big_thread.pk}/"),
        ("search by address", f"/inbox/?view=closed&q={some_contact.email}"),
        ("search by subject word", "/inbox/?view=open&q=refund"),
        # Full-text search over every message body (inbox.selectors.search).
        (f"search common word ({COMMON_WORD})", f"/inbox/?view=open&q={COMMON_WORD}"),
        (f"search rare word ({RARE_WORD})", f"/inbox/?view=open&q={RARE_WORD}"),
        ("search phrase", f"/inbox/?view=open&q=%22{PHRASE.replace(' ', '+')}%22"),
        ("search word in Closed + from:", f"/inbox/?view=closed&q={COMMON_WORD}+from:example1.com"),
        ("poll (nothing new)", f"/inbox/poll/?view=open&stamp={stamp}"),
    ]
    threads = Thread.objects.filter(workspace=workspace).count()
    messages = Message.objects.filter(workspace=workspace).count()
    print(
        f"\nworkspace: {threads:,} threads, {messages:,} messages, {Ticket.objects.filter(thread__workspace=workspace).count():,} tickets; {RUNS} requests per page\n"
    )
    print(f"{'page':<32} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    worst = 0.0
    for label, url in pages:
        p50, p95, queries = measure(client, url)
        worst = max(worst, p95)
        print(f"{label:<32} {p50:>8.1f} {p95:>8.1f} {queries:>8}")
    with CaptureQueriesContext(connection):
        from inbox.selectors.threads import thread_counts

        started = time.perf_counter()
        thread_counts(workspace=workspace, agent=agent, stamp=-1)
        cold = (time.perf_counter() - started) * 1000
    print(f"{'view counts, uncached':<32} {cold:>8.1f} {'':>8} {1:>8}")
    verdict = "met" if worst < GOAL_MS else "NOT met"
    print(f"\ngoal p95 < {GOAL_MS:.0f} ms: {verdict} (worst p95 {worst:.1f} ms)")
    measure_live(workspace, agent, client, RUNS)  # the bell and presence (bench_live.py)
    measure_reports(workspace, client)


def measure_reports(workspace: Workspace, admin_client: Client) -> None:
    """The reports page loads each report as its own request (htmx): the page itself, then
    each report per range, for an admin, and for an agent at 90 days."""
    agent = Agent.objects.filter(workspace=workspace, role=Agent.Role.AGENT).first()
    assert agent is not None
    agent_client = Client()
    agent_client.force_login(agent.user)
    slugs = ("volume", "first-response", "resolution", "backlog", "rejected", "agents")
    pages: list[tuple[str, Client, str]] = [("reports page", admin_client, "/reports/?range=90")]
    for days in (7, 30, 90):
        pages += [
            (f"{slug}, {days} d", admin_client, f"/reports/{slug}/?range={days}") for slug in slugs
        ]
    pages += [
        (f"{slug}, 90 d (agent)", agent_client, f"/reports/{slug}/?range=90")
        for slug in slugs
        if slug != "rejected"
    ]
    events = ThreadEvent.objects.filter(workspace=workspace).count()
    print(f"\nreports: {events:,} thread events; each report as htmx loads it\n")
    print(f"{'page':<32} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    worst, worst_label = 0.0, ""
    for label, client, url in pages:
        p50, p95, queries = measure(client, url, {"HX-Request": "true"})
        if p95 > worst:
            worst, worst_label = p95, label
        print(f"{label:<32} {p50:>8.1f} {p95:>8.1f} {queries:>8}")
    verdict = "met" if worst < REPORTS_GOAL_MS else "NOT met"
    print(
        f"\nreports goal p95 < {REPORTS_GOAL_MS:.0f} ms: {verdict} "
        f"(worst p95 {worst:.1f} ms, {worst_label})"
    )


if __name__ == "__main__":
    main()
