"""In-process ingestion benchmark: the pipeline called the way the task calls it, no HTTP, no broker.

Each set (small and mixed synthetic mail generated deterministically here, and the real corpus) is
measured against its own floor in the same run: Python's `email` parse plus one INSERT of the raw
bytes, the least any pipeline can do. "Ours" includes storing the raw mail on the ledger
(`inbound_email_receive`), the claim and the whole pipeline with its commit.

`measure_sets` needs Django set up on a PostgreSQL database with one connected channel at
`recipient`; `bench_inbound.py` prepares that and prints the figures.
"""

from __future__ import annotations

import base64
import os
import random
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any

WORDS = [
    "order",
    "invoice",
    "refund",
    "shipping",
    "account",
    "password",
    "login",
    "delivery",
    "package",
    "payment",
    "card",
    "subscription",
    "cancel",
    "upgrade",
    "please",
    "thanks",
    "hello",
    "issue",
    "problem",
    "question",
    "help",
    "support",
    "received",
    "yesterday",
    "today",
    "tomorrow",
    "week",
    "month",
    "number",
    "attached",
    "screenshot",
    "error",
    "page",
    "app",
    "phone",
    "email",
    "address",
    "change",
    "update",
    "status",
    "tracking",
    "customer",
    "service",
    "team",
    "would",
    "could",
    "your",
    "our",
    "the",
    "a",
    "an",
    "and",
    "or",
    "but",
    "with",
    "from",
    "for",
    "about",
    "when",
    "where",
    "why",
    "how",
    "what",
    "which",
    "this",
    "that",
]
FIRST = [
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Emma",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jon",
    "Kai",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
]
LAST = [
    "Smith",
    "Garcia",
    "Chen",
    "Novak",
    "Dubois",
    "Rossi",
    "Okafor",
    "Tanaka",
    "Silva",
    "Müller",
    "Kowalski",
    "Haddad",
]
DOMAINS = ["example.com", "mail.example.org", "shop.example.net", "example.co.uk", "acme.example"]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
    return " ".join(words).capitalize() + "."


def _body(rng: random.Random, target: int) -> str:
    paragraphs: list[str] = []
    size = 0
    while size < target:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(paragraphs)


def _attachment(rng: random.Random, size: int) -> tuple[str, str, str]:
    kind = rng.choice(
        (("pdf", "application/pdf"), ("png", "image/png"), ("zip", "application/zip"))
    )
    payload = rng.randbytes(size)
    encoded = base64.encodebytes(payload).decode().replace("\n", "\r\n")
    return f"file-{rng.randint(1, 99999)}.{kind[0]}", kind[1], encoded


def synthetic_mail(
    count: int, *, recipient: str, seed: int, attachment_share: float = 0.0
) -> list[bytes]:
    """`count` mails from ~count/5 senders, 30% of them replies to an earlier one (In-Reply-To,
    References, "Re:"); half text only, half text + HTML; `attachment_share` of them carry one
    50-500 KB attachment. Bodies are drawn so the median message is about 1.6 KB."""
    rng = random.Random(seed)
    senders = [
        (f"{rng.choice(FIRST)} {rng.choice(LAST)}", f"user{n}@{rng.choice(DOMAINS)}")
        for n in range(max(5, count // 5))
    ]
    sent: list[tuple[str, str]] = []  # (message id, subject)
    mails: list[bytes] = []
    for number in range(count):
        name, address = rng.choice(senders)
        message_id = f"<{seed}.{number}.{rng.getrandbits(48):x}@{address.split('@')[1]}>"
        if sent and rng.random() < 0.3:
            parent_id, parent_subject = rng.choice(sent)
            subject = "Re: " + parent_subject.removeprefix("Re: ")
            threading = f"In-Reply-To: {parent_id}\r\nReferences: {parent_id}\r\n"
        else:
            subject = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))).capitalize()
            threading = ""
        sent.append((message_id, subject))
        text = _body(rng, int(rng.lognormvariate(6.7, 0.6)))
        headers = (
            f"From: {name} <{address}>\r\nTo: {recipient}\r\nSubject: {subject}\r\n"
            f"Date: Thu, 03 Dec 2026 {number % 24:02d}:{number % 60:02d}:00 +0000\r\n"
            f"Message-ID: {message_id}\r\n{threading}MIME-Version: 1.0\r\n"
        )
        with_html = rng.random() < 0.5
        with_file = rng.random() < attachment_share
        parts: list[str] = []
        if with_html:
            html = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
            parts.append(
                'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
                f"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
                f'--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<div dir="ltr">{html}'
                "</div>\r\n--alt--\r\n"
            )
        else:
            parts.append(f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n")
        if with_file:
            filename, content_type, encoded = _attachment(rng, rng.randint(50_000, 500_000))
            body = (
                'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n'
                f"--mix\r\n{parts[0]}"
                f"--mix\r\nContent-Type: {content_type}\r\n"
                f'Content-Disposition: attachment; filename="{filename}"\r\n'
                f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}--mix--\r\n"
            )
        else:
            body = parts[0]
        mails.append((headers + body).encode())
    return mails


# --- Per-stage timing --------------------------------------------------------------------------


@dataclass
class StageClock:
    """Exclusive time per stage: a stage called inside another is not counted twice."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    _stack: list[list[float]] = field(default_factory=list)

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._stack.append([0.0])
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                nested = self._stack.pop()[0]
                self.seconds[stage] += elapsed - nested
                if self._stack:
                    self._stack[-1][0] += elapsed

        return timed


# (module, attribute, stage): the pipeline's stages as the pipeline module and the services see
# them. Patched for the timed pass only; a name missing after a refactor fails loudly.
STAGES = (
    ("inbox.services.intake", "inbound_email_receive", "receive"),
    ("inbox.inbound.pipeline", "inbound_email_claim", "claim"),
    ("inbox.inbound.pipeline", "parse", "parse"),
    ("inbox.inbound.pipeline", "content_digest", "parse"),
    ("inbox.inbound.pipeline", "selectors", "lookup"),
    ("inbox.inbound.pipeline", "_attribution", "attribute"),
    ("inbox.inbound.pipeline", "_recognise", "attribute"),
    ("inbox.inbound.pipeline", "validate", "validate"),
    ("inbox.inbound.pipeline", "_validation_context", "validate"),
    ("inbox.inbound.pipeline", "routing", "route"),
    ("inbox.inbound.pipeline", "content_for", "route"),
    ("inbox.inbound.pipeline", "services", "store"),
    ("inbox.inbound.pipeline", "channel_services", "store"),
    ("inbox.services.inbound", "sanitize", "sanitize"),
    ("inbox.services.inbound", "_saved_attachments", "attachments"),
)


class _TimedNamespace:
    """A module seen through the clock: every function it holds is timed as one stage."""

    def __init__(self, module: Any, stage: str, clock: StageClock) -> None:
        self._module, self._stage, self._clock = module, stage, clock

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if callable(value) and not isinstance(value, type):
            return self._clock.wrap(self._stage, value)
        return value


@contextmanager
def timed_stages(clock: StageClock) -> Iterator[None]:
    import importlib
    import types

    from django.db import connection

    patched: list[tuple[Any, str, Any]] = []
    for module_name, attribute, stage in STAGES:
        module = importlib.import_module(module_name)
        original = getattr(module, attribute)
        if isinstance(original, types.ModuleType):
            replacement: Any = _TimedNamespace(original, stage, clock)
        else:
            replacement = clock.wrap(stage, original)
        patched.append((module, attribute, original))
        setattr(module, attribute, replacement)
    connection.ensure_connection()
    commit = connection.commit
    connection.commit = clock.wrap("commit", commit)  # type: ignore[method-assign]
    # The pipelined writes (events, ticket, message, the ledger's outcome) are answered when
    # psycopg's pipeline ends (helpdesk.db.pipelined).
    import psycopg

    pipeline_exit = psycopg.Pipeline.__exit__
    psycopg.Pipeline.__exit__ = clock.wrap("writes", pipeline_exit)  # type: ignore[method-assign]
    try:
        yield
    finally:
        psycopg.Pipeline.__exit__ = pipeline_exit  # type: ignore[method-assign]
        connection.commit = commit  # type: ignore[method-assign]
        for module, attribute, original in reversed(patched):
            setattr(module, attribute, original)


# --- Runs --------------------------------------------------------------------------------------


class Floor:
    """Python's `email` parse plus one INSERT of the raw bytes per mail (autocommit, so one
    durable commit each, as our ledger write): the least any pipeline can do."""

    def __init__(self, database_url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(database_url, autocommit=True)
        self.connection.execute("DROP TABLE IF EXISTS bench_floor")
        self.connection.execute("CREATE TABLE bench_floor (id serial PRIMARY KEY, raw bytea)")

    def run(self, mails: list[bytes]) -> float:
        """Seconds for these mails."""
        started = time.perf_counter()
        for raw in mails:
            parsed = BytesParser(policy=policy.default).parsebytes(raw)
            _ = parsed.get("Subject")
            self.connection.execute("INSERT INTO bench_floor (raw) VALUES (%s)", (raw,))
        return time.perf_counter() - started

    def close(self) -> None:
        self.connection.execute("DROP TABLE bench_floor")
        self.connection.close()


def ingest(raw: bytes, recipient: str) -> int:
    """What a webhook and then the task do with one mail, in this process."""
    from inbox.inbound.pipeline import process_inbound_email
    from inbox.services import intake

    row = intake.inbound_email_receive(raw=raw, esp="bench", envelope_recipient=recipient)
    process_inbound_email(row.pk)  # what the task runs: the claim, then the pipeline
    return int(row.pk)


@contextmanager
def no_queueing() -> Iterator[None]:
    """The benchmark runs the task body itself: nothing is handed to a broker."""
    from inbox.services import intake

    original = intake.queue_processing
    intake.queue_processing = lambda pk: True  # type: ignore[assignment]
    try:
        yield
    finally:
        intake.queue_processing = original


@dataclass(frozen=True)
class SetResult:
    name: str
    messages: int
    ours_per_s: float  # the median pass's
    floor_per_s: float
    stages_ms: dict[str, float]  # mean milliseconds per message
    statuses: dict[str, int]
    pass_ratios: tuple[float, ...] = ()  # ours against the floor, pass by pass

    @property
    def vs_floor(self) -> float:
        """The median of the passes' ratios (one pass: its ratio)."""
        if not self.pass_ratios:
            return self.ours_per_s / self.floor_per_s
        return statistics.median(self.pass_ratios)


_ID_HEADER = re.compile(rb"(?im)^(message-id|in-reply-to|references)[ \t]*:(.*(?:\r?\n[ \t].*)*)")
_ID_LOCAL_PART = re.compile(rb"<([^<>@\s]+)@")


def unique(mails: list[bytes], tag: str) -> list[bytes]:
    """Copies of `mails` that are new to the database: the same bytes again are a repeat the
    ledger refuses, the same Message-ID and content a duplicate the pipeline drops. Every id in
    the Message-ID, In-Reply-To and References headers gets `tag`, so replies still thread."""
    marker = f".{tag}@".encode()
    copies = []
    for number, raw in enumerate(mails):
        split = raw.find(b"\r\n\r\n")
        split = raw.find(b"\n\n") if split < 0 else split
        split = len(raw) if split < 0 else split
        head = _ID_HEADER.sub(
            lambda found: found[1] + b":" + _ID_LOCAL_PART.sub(rb"<\1" + marker, found[2]),
            raw[:split],
        )
        copies.append(f"X-Bench-Run: {tag}-{number}\r\n".encode() + head + raw[split:])
    return copies


CHUNK = 25
# Passes over each set, ours and the floor side by side in each; the median pass is reported.
PASSES = int(os.environ.get("BENCH_INPROC_PASSES", "3"))


def measure_set(
    name: str, mails: list[bytes], recipient: str, database_url: str, *, passes: int = PASSES
) -> SetResult:
    """Ours against the floor in `passes` passes, each alternating chunks of CHUNK mails so that
    both see the same load on a shared machine; then one more, timed pass for the per-stage
    breakdown (the wrappers cost a little, so the rates come from the plain passes)."""
    from django.db.models import Count

    from inbox.models import InboundEmail

    first = InboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    floor = Floor(database_url)
    seconds: list[tuple[float, float]] = []  # (ours, floor) per pass
    try:
        with no_queueing():
            for number in range(max(1, passes)):
                copies = unique(mails, f"{name}-plain{number}")
                ours_seconds = floor_seconds = 0.0
                for start in range(0, len(mails), CHUNK):
                    floor_seconds += floor.run(mails[start : start + CHUNK])
                    started = time.perf_counter()
                    for raw in copies[start : start + CHUNK]:
                        ingest(raw, recipient)
                    ours_seconds += time.perf_counter() - started
                seconds.append((ours_seconds, floor_seconds))
            clock = StageClock()
            with timed_stages(clock):
                started = time.perf_counter()
                for raw in unique(mails, f"{name}-timed"):
                    ingest(raw, recipient)
                timed = time.perf_counter() - started
            # Transaction and pipeline handling, events, notifications' hand-off, ...
            clock.seconds["other"] = timed - sum(clock.seconds.values())
    finally:
        floor.close()
    statuses = dict(
        InboundEmail.objects.filter(pk__gt=first)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    stages = {stage: seconds * 1000 / len(mails) for stage, seconds in clock.seconds.items()}
    ratios = tuple(floor_seconds / ours_seconds for ours_seconds, floor_seconds in seconds)
    ours_seconds, floor_seconds = sorted(seconds, key=lambda pair: pair[1] / pair[0])[
        len(seconds) // 2
    ]
    return SetResult(
        name, len(mails), len(mails) / ours_seconds, len(mails) / floor_seconds, stages,
        statuses, ratios,
    )  # fmt: skip


_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET LOCAL")

# psycopg generators that wait for the server's answer outside a pipeline (inside one, executing
# a statement only queues it), or only inside a transaction (a COMMIT already sent with a
# pipeline's statements leaves Django's own commit nothing to send).
_ANSWERED_OUTSIDE_PIPELINE = frozenset({"_execute_gen", "_executemany_gen_no_pipeline"})
_ANSWERED_IN_TRANSACTION = frozenset({"_commit_gen", "_rollback_gen"})


@contextmanager
def counting_round_trips() -> Iterator[list[int]]:
    """Counts the times this process waited for PostgreSQL's answer: a statement outside a
    pipeline, a COMMIT, and inside a pipeline each time answers it had sent for are read (a
    sync, a fetch, its end; psycopg's own BEGIN inside one is such a wait too). Statements a
    pipeline sends together are one round trip."""
    import psycopg
    from psycopg import _pipeline_base

    count = [0]
    original_wait = psycopg.Connection.wait
    original_fetch = _pipeline_base.BasePipeline._fetch_gen
    idle = psycopg.pq.TransactionStatus.IDLE

    def wait(self: Any, generator: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(generator, "__name__", "")
        if (name in _ANSWERED_OUTSIDE_PIPELINE and self._pipeline is None) or (
            name in _ANSWERED_IN_TRANSACTION and self.pgconn.transaction_status != idle
        ):
            count[0] += 1
        return original_wait(self, generator, *args, **kwargs)

    def fetch(self: Any, *, flush: bool) -> Any:
        if self.result_queue:
            count[0] += 1
        return (yield from original_fetch(self, flush=flush))

    psycopg.Connection.wait = wait  # type: ignore[method-assign,assignment]
    _pipeline_base.BasePipeline._fetch_gen = fetch  # type: ignore[method-assign]
    try:
        yield count
    finally:
        psycopg.Connection.wait = original_wait  # type: ignore[method-assign]
        _pipeline_base.BasePipeline._fetch_gen = original_fetch  # type: ignore[method-assign]


def statements_per_message(recipient: str) -> dict[str, int]:
    """SQL statements for one new conversation (a new contact, thread, ticket, assignment) and
    for one reply to it: `sql_per_<kind>` counts the statements inside the pipeline's
    transaction (the claim before it has its own), `sql_round_trips_per_<kind>` the times the
    process waited for the database, from the ledger INSERT to the last COMMIT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from channels_cfg.models import EmailChannel
    from inbox.inbound.pipeline import process_inbound_email
    from inbox.services import intake

    new, reply = synthetic_pair(recipient)
    counts: dict[str, int] = {}
    # The channel's "last mail" stamp is written at most every 10 seconds: counted in steady
    # state, a mail does not write it.
    EmailChannel.objects.filter(forwarding_address__address=recipient).update(
        last_inbound_at=timezone.now()
    )
    with no_queueing():
        for label, raw in (("new_thread", new), ("reply", reply)):
            with CaptureQueriesContext(connection) as everything, counting_round_trips() as trips:
                row = intake.inbound_email_receive(
                    raw=raw, esp="bench", envelope_recipient=recipient
                )
                process_inbound_email(row.pk)
            statements = [query["sql"] for query in everything.captured_queries]
            data = [sql for sql in statements if not sql.upper().startswith(_CONTROL)]
            # The first data statements are the ledger INSERT and the claim.
            counts[f"sql_per_{label}"] = len(data) - 2
            counts[f"sql_round_trips_per_{label}"] = trips[0]
    return counts


def synthetic_pair(recipient: str) -> tuple[bytes, bytes]:
    stamp = f"{time.time_ns():x}"
    new = (
        f"From: Counted Person <counted-{stamp}@example.com>\r\nTo: {recipient}\r\n"
        f"Subject: Counting statements\r\nMessage-ID: <new-{stamp}@example.com>\r\n"
        "Content-Type: text/plain\r\n\r\nHello, how many statements am I?\r\n"
    ).encode()
    reply = (
        f"From: Counted Person <counted-{stamp}@example.com>\r\nTo: {recipient}\r\n"
        f"Subject: Re: Counting statements\r\nMessage-ID: <reply-{stamp}@example.com>\r\n"
        f"In-Reply-To: <new-{stamp}@example.com>\r\nReferences: <new-{stamp}@example.com>\r\n"
        "Content-Type: text/plain\r\n\r\nAnd me?\r\n"
    ).encode()
    return new, reply


def median_size(mails: list[bytes]) -> float:
    return statistics.median(len(raw) for raw in mails)
