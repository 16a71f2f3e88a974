"""`make bench`: how fast inbound mail is taken in and processed.

Stages, all in one run against a fresh PostgreSQL database (BENCH_DATABASE_URL, dropped and
created again each run) and Redis (REDIS_URL, a private queue that no other worker reads); the
channel assigns new conversations round robin to three agents and makes tickets:
1. in-process (no HTTP, no broker; benchmarks/inproc.py): 1000 small synthetic mails (median
   1.6 KB, 30% replies), 300 mixed ones (17% with a 50-500 KB attachment) and the real corpus,
   each against its own floor (Python's `email` parse plus one INSERT of the raw bytes) in
   alternating chunks, with SQL statements per message and a per-stage time breakdown;
2. webhook burst: every corpus message posted to gunicorn's Mailgun webhook, 100 at a time;
3. webhook at 100 requests/s: the corpus posted again at a steady 100/s, latency per request;
4. pipeline: one Celery worker (4 prefork processes; BENCH_WORKER_POOL=solo for one at a time)
   works through everything the webhooks queued;
5. scale-out: 600 small mails queued, then worked through by 1, 2 and 4 worker processes, and by
   2 with batches turned off (INBOUND_BATCH_SIZE=1 against the default 16);
6. large posts: a 35 MB Postmark payload (BENCH_LARGE_POST_MB) posted 3 times, time to answer (SNS
   gives up after 15 s; we aim for under 5 s: docs/reliability.md, "Answering within the ESP's
   timeout"). Not processed.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import inproc  # noqa: E402 (a sibling module of this script)

SHARED = Path(os.environ.get("SHARED_DIR", REPO.parent / "shared"))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_bench"
)
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/1"
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "100"))
PACED_RPS = float(os.environ.get("BENCH_RPS", "100"))
GUNICORN_WORKERS = os.environ.get("BENCH_GUNICORN_WORKERS", "4")
WORKER_POOL = os.environ.get("BENCH_WORKER_POOL", "prefork")
WORKER_CONCURRENCY = os.environ.get("BENCH_WORKER_CONCURRENCY", "4")
SECRET = "bench:bench-password"  # noqa: S105 (a throwaway credential for the bench run)
SIGNING_KEY = "bench-signing-key"
QUEUE = f"bench-{uuid.uuid4().hex[:8]}"
RECIPIENT = "bench@bench.inbox.localhost"
LARGE_POST_MB = int(os.environ.get("BENCH_LARGE_POST_MB", "35"))
LARGE_POSTS = 3
SCALE_MAILS = int(os.environ.get("BENCH_SCALE_MAILS", "600"))


def say(text: str) -> None:
    print(text, flush=True)


def corpus() -> list[bytes]:
    with (SHARED / "corpus" / "INDEX.tsv").open(newline="") as index:
        rows = [row for row in csv.DictReader(index, delimiter="\t")]
    return [
        (SHARED / "corpus" / row["path"]).read_bytes()
        for row in rows
        if row["category"] != "webhook-payload"
    ]


def fresh_database() -> None:
    import psycopg

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def service_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "ANYMAIL_WEBHOOK_SECRET": SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
        # Production mode: no query log, cached templates (what an install would see).
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "k" * 50,
        "INBOUND_ESPS": "mailgun,postmark",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }


def setup_django() -> None:
    os.environ.update(service_env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.utils import timezone

    from channels_cfg.models import EmailChannel, ForwardingAddress
    from helpdesk.models import Workspace

    workspace = Workspace.objects.create(
        name="Bench", company_name="Bench", subdomain="bench", plan=Workspace.Plan.PAID
    )
    channel = EmailChannel.objects.create(
        workspace=workspace,
        name="Support",
        company_name="Bench",
        status=EmailChannel.Status.CONNECTED,
        connected_at=timezone.now(),
    )
    ForwardingAddress.objects.create(channel=channel, address=RECIPIENT, locked_at=timezone.now())
    # New conversations get a contact, a ticket and an assignee, as on a real team's channel.
    from django.contrib.auth import get_user_model

    from helpdesk.models import Agent

    for number in range(3):
        user = get_user_model().objects.create_user(
            username=f"agent{number}", email=f"agent{number}@bench.example"
        )
        Agent.objects.create(user=user, workspace=workspace)
        channel.assign_users.add(user)
    channel.auto_assign = True
    channel.save(update_fields=["auto_assign"])


def mailgun_post(raw: bytes) -> tuple[bytes, str]:
    # Each post is a distinct delivery (idempotency would otherwise short-circuit repeats).
    raw = f"X-Bench-Delivery: {uuid.uuid4().hex}\r\n".encode() + raw
    token, timestamp = uuid.uuid4().hex, str(int(time.time()))
    signature = hmac.new(
        SIGNING_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    boundary = f"bench{uuid.uuid4().hex}"
    fields = {
        "recipient": RECIPIENT.encode(),
        "sender": b"bounce@sender.example",
        "timestamp": timestamp.encode(),
        "token": token.encode(),
        "signature": signature.encode(),
        "body-mime": raw,
    }
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields.items()
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def large_postmark_post(size: int) -> tuple[bytes, str]:
    """A Postmark inbound JSON of about `size` bytes: the attachment rides twice, base64 in
    RawEmail and again in Attachments (docs/reliability.md, "Memory for large mail")."""
    attachment = os.urandom(int(size / 2 * 3 / 4 * 76 / 78))
    encoded = base64.encodebytes(attachment).decode().replace("\n", "\r\n")
    raw = (
        f"From: Big Sender <big@sender.example>\r\nTo: {RECIPIENT}\r\nSubject: Large file\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@sender.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nThe file.\r\n"
        "--b1\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="big.bin"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}--b1--\r\n"
    )
    payload = {
        "OriginalRecipient": RECIPIENT,
        "MessageID": uuid.uuid4().hex,
        "From": "big@sender.example",
        "RawEmail": raw,
        "Attachments": [
            {
                "Name": "big.bin",
                "ContentType": "application/octet-stream",
                "Content": base64.b64encode(attachment).decode(),
            }
        ],
    }
    return json.dumps(payload).encode(), "application/json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(  # noqa: S603 (a fixed command line)
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "helpdesk.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            GUNICORN_WORKERS,
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--keep-alive",
            "30",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=service_env(),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


class Poster:
    """Posts webhooks over keep-alive connections, one per thread, recording each latency."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()
        self.auth = "Basic " + base64.b64encode(SECRET.encode()).decode()

    def post(self, item: tuple[bytes, str], path: str = "/anymail/mailgun/inbound_mime/") -> float:
        try:
            return self._post(item, path)
        except (ConnectionError, http.client.HTTPException):
            # gunicorn closed an idle keep-alive connection: post again on a new one (a repeat
            # would be stored once anyway).
            self.local.connection = None
            return self._post(item, path)

    def _post(self, item: tuple[bytes, str], path: str) -> float:
        body, content_type = item
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=60
            )
        started = time.perf_counter()
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": content_type, "Authorization": self.auth},
        )
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise SystemExit(f"webhook answered {response.status}")
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            self.local.connection = None
        return elapsed


def burst(poster: Poster, posts: list[tuple[bytes, str]]) -> tuple[float, list[float]]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        latencies = list(pool.map(poster.post, posts))
    return len(posts) / (time.perf_counter() - started), latencies


def paced(poster: Poster, posts: list[tuple[bytes, str]]) -> list[float]:
    """Send at a steady PACED_RPS (an open loop: a slow answer does not slow the senders)."""
    latencies: list[float] = []
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        futures = []
        started = time.perf_counter()
        for number, item in enumerate(posts):
            delay = started + number / PACED_RPS - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(poster.post, item))
        latencies = [future.result() for future in futures]
    return latencies


def p99_ms(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98] * 1000


def pipeline(
    expected: int, *, after_pk: int = 0, concurrency: str = WORKER_CONCURRENCY, batch: int = 16
) -> tuple[float, int]:
    """One worker over the rows queued after `after_pk`: (messages per second, rows not decided).

    Rows that raise wait for their retries (10 s, 20 s, ...); the rate counts the first pass.
    """
    from django.db.models import Max, Min

    from inbox.models import InboundEmail

    worker = subprocess.Popen(  # noqa: S603 (a fixed command line)
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            f"--pool={WORKER_POOL}",
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
            "-Q",
            QUEUE,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=REPO,
        env={**service_env(), "INBOUND_BATCH_SIZE": str(batch)},
    )
    final = ["accepted", "rejected", "duplicate", "failed"]
    rows = InboundEmail.objects.filter(pk__gt=after_pk)
    try:
        last, stable_since = -1, time.monotonic()
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            done = rows.filter(status__in=final).count()
            waiting = rows.filter(status="received").count()
            if done != last:
                last, stable_since = done, time.monotonic()
                if done % 200 < 20 or done >= expected:
                    say(f"  pipeline: {done}/{expected}")
            if done >= expected or (waiting == 0 and time.monotonic() - stable_since > 10):
                break
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    first_pass = rows.filter(status__in=final, attempts=1)
    span = first_pass.aggregate(first=Min("processing_started_at"), last=Max("processed_at"))
    seconds = (span["last"] - span["first"]).total_seconds()
    undecided = rows.exclude(status__in=["accepted", "rejected", "duplicate"])
    return first_pass.count() / seconds, undecided.count()


def queue_small_mails(count: int, tag: str) -> int:
    """Store `count` small synthetic mails as a webhook would (each queued for the workers);
    returns the last row id before them."""
    from inbox.models import InboundEmail
    from inbox.services.intake import inbound_email_receive

    after = InboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    mails = inproc.unique(inproc.synthetic_mail(count, recipient=RECIPIENT, seed=7), tag)
    for raw in mails:
        inbound_email_receive(raw=raw, esp="bench", envelope_recipient=RECIPIENT)
    return int(after)


def scale_out(count: int) -> tuple[dict[str, float], dict[str, float]]:
    """Messages per second by worker processes (batches of 16), and batch size 1 vs 16 at 2."""
    by_workers: dict[str, float] = {}
    for workers in (1, 2, 4):
        after = queue_small_mails(count, f"scale{workers}")
        rate, _ = pipeline(count, after_pk=after, concurrency=str(workers))
        by_workers[str(workers)] = round(rate, 1)
        say(f"  {workers} worker process(es): {rate:.1f} msgs/s")
    by_batch = {"16": by_workers["2"]}
    after = queue_small_mails(count, "batch1")
    rate, _ = pipeline(count, after_pk=after, concurrency="2", batch=1)
    by_batch["1"] = round(rate, 1)
    say(f"  2 worker processes, batches off: {rate:.1f} msgs/s (16 per task: {by_workers['2']})")
    return by_workers, by_batch


def in_process() -> tuple[list[inproc.SetResult], dict[str, int]]:
    messages = corpus()
    sets = [
        ("small", inproc.synthetic_mail(1000, recipient=RECIPIENT, seed=1)),
        ("mixed", inproc.synthetic_mail(300, recipient=RECIPIENT, seed=2, attachment_share=0.17)),
        ("corpus", messages),
    ]
    results = []
    for name, mails in sets:
        say(f"  {name}: {len(mails)} mails, median {inproc.median_size(mails) / 1024:.1f} KB ...")
        result = inproc.measure_set(name, mails, RECIPIENT, DATABASE_URL)
        stages = ", ".join(
            f"{stage} {ms:.2f}"
            for stage, ms in sorted(result.stages_ms.items(), key=lambda i: -i[1])
        )
        say(
            f"    ours {result.ours_per_s:.0f} msgs/s, floor {result.floor_per_s:.0f} msgs/s: "
            f"{result.vs_floor:.2f} of the floor (median of passes "
            f"{' / '.join(f'{ratio:.3f}' for ratio in result.pass_ratios)}); "
            f"ms per message: {stages}"
        )
        results.append(result)
    statements = inproc.statements_per_message(RECIPIENT)
    say(f"  SQL statements per message: {statements}")
    return results, statements


def main() -> None:
    messages = corpus()
    say(f"Corpus: {len(messages)} messages; database {DATABASE_URL}; Redis {REDIS_URL}")
    say("Preparing a fresh database ...")
    fresh_database()
    setup_django()
    from inbox.models import InboundEmail

    say("1/6 in-process: the pipeline as the task calls it, against each set's floor ...")
    sets, statements = in_process()
    floor_rate = next(result.floor_per_s for result in sets if result.name == "corpus")

    before_webhooks = InboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    port = free_port()
    say(f"Starting gunicorn on 127.0.0.1:{port} ({GUNICORN_WORKERS} workers x 4 threads) ...")
    gunicorn = start_gunicorn(port)
    try:
        poster = Poster(port)
        poster.post(mailgun_post(messages[0]))  # warm up
        say(f"2/6 webhook burst: {len(messages)} posts, {CONCURRENCY} at a time ...")
        burst_rps, burst_latencies = burst(poster, [mailgun_post(raw) for raw in messages])
        say(f"  {burst_rps:.0f} requests/s, p99 {p99_ms(burst_latencies):.0f} ms")
        say(f"3/6 webhook at {PACED_RPS:.0f} requests/s: {len(messages)} posts ...")
        paced_posts = [mailgun_post(raw) for raw in messages]
        paced_latencies = paced(poster, paced_posts)
        # The corpus has a tail of 0.5-3 MB messages; p99 of ordinary mail, for comparison.
        small_latencies = [
            latency
            for latency, (body, _) in zip(paced_latencies, paced_posts, strict=True)
            if len(body) < 100 * 1024
        ]
        say(
            f"  p50 {statistics.median(paced_latencies) * 1000:.0f} ms, "
            f"p99 {p99_ms(paced_latencies):.0f} ms "
            f"(p99 {p99_ms(small_latencies):.0f} ms for the posts under 100 KB)"
        )
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)

    from inbox.models import InboundEmail

    stored = InboundEmail.objects.filter(pk__gt=before_webhooks)
    expected = stored.count()
    say(f"4/6 pipeline: one worker ({WORKER_CONCURRENCY} processes) over {expected} deliveries ...")
    pipeline_rate, undecided = pipeline(expected, after_pk=before_webhooks)
    say(
        f"  {pipeline_rate:.1f} msgs/s ({pipeline_rate / floor_rate:.2f} of the floor); "
        f"{undecided} rows failed or still retrying"
    )
    say(f"5/6 scale-out: {SCALE_MAILS} small mails queued, then 1, 2 and 4 worker processes ...")
    by_workers, by_batch = scale_out(SCALE_MAILS)
    import redis

    say(
        f"6/6 large posts: {LARGE_POSTS} Postmark payloads of {LARGE_POST_MB} MB (target: under 5 s) ..."
    )
    gunicorn = start_gunicorn(port)
    try:
        poster = Poster(port)
        large_seconds = [
            poster.post(
                large_postmark_post(LARGE_POST_MB * 1024 * 1024), "/anymail/postmark/inbound/"
            )
            for _ in range(LARGE_POSTS)
        ]
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    say(f"  answered in {', '.join(f'{seconds:.2f}' for seconds in large_seconds)} s")

    redis.Redis.from_url(REDIS_URL).delete(QUEUE)
    print(
        json.dumps(
            {
                "webhook_rps": round(burst_rps, 1),
                "webhook_p99_ms": round(p99_ms(paced_latencies), 1),
                "webhook_p50_ms": round(statistics.median(paced_latencies) * 1000, 1),
                "webhook_p99_ms_under_100kb": round(p99_ms(small_latencies), 1),
                "webhook_burst_p99_ms": round(p99_ms(burst_latencies), 1),
                "webhook_paced_rps": PACED_RPS,
                "webhook_concurrency": CONCURRENCY,
                "pipeline_msgs_per_s": round(pipeline_rate, 1),
                "floor_msgs_per_s": round(floor_rate, 1),
                "pipeline_vs_floor": round(pipeline_rate / floor_rate, 3),
                "pipeline_worker": f"1 process, {WORKER_POOL} pool x {WORKER_CONCURRENCY}",
                "pipeline_undecided_rows": undecided,
                "messages": len(messages),
                "large_post_mb": LARGE_POST_MB,
                "large_post_max_s": round(max(large_seconds), 2),
                **{f"inproc_{r.name}_vs_floor": round(r.vs_floor, 3) for r in sets},
                "inproc_pass_ratios": {r.name: [round(x, 3) for x in r.pass_ratios] for r in sets},
                **{f"inproc_{r.name}_msgs_per_s": round(r.ours_per_s, 1) for r in sets},
                **{f"inproc_{r.name}_floor_msgs_per_s": round(r.floor_per_s, 1) for r in sets},
                "inproc_stage_ms": {
                    r.name: {stage: round(ms, 3) for stage, ms in r.stages_ms.items()} for r in sets
                },
                **statements,
                "e2e_msgs_per_s_by_workers": by_workers,
                "e2e_msgs_per_s_by_batch_size": by_batch,
            }
        )
    )


if __name__ == "__main__":
    main()
