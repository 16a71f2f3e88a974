"""`make bench`: how fast inbound mail is taken in and processed, on real corpus mail.

Stages, all in one run against a fresh PostgreSQL database (BENCH_DATABASE_URL, dropped and
created again each run) and Redis (REDIS_URL, a private queue that no other worker reads):
1. floor: Python's `email` parse plus one INSERT per corpus message, the least any pipeline does;
2. webhook burst: every corpus message posted to gunicorn's Mailgun webhook, 100 at a time;
3. webhook at 100 requests/s: the corpus posted again at a steady 100/s, latency per request;
4. pipeline: one Celery worker (4 prefork processes; BENCH_WORKER_POOL=solo for one at a time)
   works through everything the webhooks queued;
5. large posts: a 35 MB Postmark payload (BENCH_LARGE_POST_MB) posted 3 times, time to answer (SNS
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
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
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
        "DEBUG": "true",
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


def floor(messages: list[bytes]) -> float:
    """Messages per second for parse + one INSERT, the least any pipeline can do."""
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS bench_floor (id serial, raw bytea)")
        started = time.perf_counter()
        for raw in messages:
            parsed = BytesParser(policy=policy.default).parsebytes(raw)
            _ = parsed.get("Subject")
            connection.execute("INSERT INTO bench_floor (raw) VALUES (%s)", (raw,))
        elapsed = time.perf_counter() - started
        connection.execute("DROP TABLE bench_floor")
    return len(messages) / elapsed


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


def pipeline(expected: int) -> tuple[float, int]:
    """One worker process over everything queued: (messages per second, rows not decided).

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
            f"--concurrency={WORKER_CONCURRENCY}",
            "--loglevel=WARNING",
            "-Q",
            QUEUE,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=REPO,
        env=service_env(),
    )
    final = ["accepted", "rejected", "duplicate", "failed"]
    try:
        last, stable_since = -1, time.monotonic()
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            done = InboundEmail.objects.filter(status__in=final).count()
            waiting = InboundEmail.objects.filter(status="received").count()
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
    first_pass = InboundEmail.objects.filter(status__in=final, attempts=1)
    span = first_pass.aggregate(first=Min("processing_started_at"), last=Max("processed_at"))
    seconds = (span["last"] - span["first"]).total_seconds()
    undecided = InboundEmail.objects.exclude(status__in=["accepted", "rejected", "duplicate"])
    return first_pass.count() / seconds, undecided.count()


def main() -> None:
    messages = corpus()
    say(f"Corpus: {len(messages)} messages; database {DATABASE_URL}; Redis {REDIS_URL}")
    say("Preparing a fresh database ...")
    fresh_database()
    setup_django()

    say("1/5 floor: email parse + one INSERT per message ...")
    floor_rate = floor(messages)
    say(f"  {floor_rate:.0f} msgs/s")

    port = free_port()
    say(f"Starting gunicorn on 127.0.0.1:{port} ({GUNICORN_WORKERS} workers x 4 threads) ...")
    gunicorn = start_gunicorn(port)
    try:
        poster = Poster(port)
        poster.post(mailgun_post(messages[0]))  # warm up
        say(f"2/5 webhook burst: {len(messages)} posts, {CONCURRENCY} at a time ...")
        burst_rps, burst_latencies = burst(poster, [mailgun_post(raw) for raw in messages])
        say(f"  {burst_rps:.0f} requests/s, p99 {p99_ms(burst_latencies):.0f} ms")
        say(f"3/5 webhook at {PACED_RPS:.0f} requests/s: {len(messages)} posts ...")
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

    expected = InboundEmail.objects.count()
    say(f"4/5 pipeline: one worker process over {expected} stored deliveries ...")
    pipeline_rate, undecided = pipeline(expected)
    say(
        f"  {pipeline_rate:.1f} msgs/s ({pipeline_rate / floor_rate:.2f} of the floor); "
        f"{undecided} rows failed or still retrying"
    )
    import redis

    say(
        f"5/5 large posts: {LARGE_POSTS} Postmark payloads of {LARGE_POST_MB} MB (target: under 5 s) ..."
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
            }
        )
    )


if __name__ == "__main__":
    main()
