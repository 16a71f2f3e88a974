"""`make bench-bound`: how close this design can come to the floor, side by side in one run.

Issue 12 asks a small mail to cost at most twice the floor (Python's `email` parse plus one INSERT
of the raw bytes). This measures how much of that gap is ours and how much is the design's, on
`make bench`'s 1000 small synthetic mails (30% replies), six contenders in alternating chunks of
25 so that all see the same load on a shared machine:

- **floor**: `inproc.Floor`, as in `make bench`;
- **ours**: the product, `inproc.ingest` (the ledger INSERT, the claim, the whole pipeline);
- **bare statements**: the least this design sends, through psycopg directly: the ledger INSERT
  (durable, as intake), the claim (UPDATE ... RETURNING the raw mail, asynchronous commit), our
  parser, one lookup round trip (channel, the sender's contact, threads by Message-ID), then one
  pipelined transaction with an asynchronous commit: for a new conversation the contact, thread,
  event and ticket, for a reply the thread's UPDATE; then the message and the ledger's outcome.
  Prepared statements, only the columns without a default, no ORM, and none of the product's
  other work: no validation, attribution, sanitizing, round robin, notifications, snooze or
  ticket-status rules, attachment names in the search index;
- **bare function**: the same, with the transaction's writes as one call of a PL/pgSQL function
  (one round trip fewer per statement it holds);
- **lean**: bare function with the product's own pure stages added between the lookup and the
  call (attribution, validation, routing, the stored content, snippet and sanitized HTML): what a
  rewrite of the pipeline without the ORM, its writes in the database, could at best come to.
  Still without round robin, notifications, snooze and ticket-status rules, and writing only the
  columns without a default;
- **faithful**: lean with that work put back (`bound_faithful.py`): ours' own Python between
  the statements (the lookup's statements and rows, the pipeline's stages, the services' row
  builders), every column ours writes, the round robin, the assignment event, the reply's
  reopening, snooze and ticket-status rules, and the notifications: what a rewrite of the
  database work off the ORM that keeps every behaviour would cost.

The bare contenders write the same rows to the product's own tables (with their indexes and
search triggers), so each is checked to store every mail and to thread the replies as ours does.
`BOUND_PASSES` (3) passes over the set; the last line printed is one JSON object.

`BOUND_WITHOUT` measures what a product decision would buy, by taking work off every contender's
writes in this benchmark's own fresh database: `search_index` (the message's full-text vector,
computed by a trigger as it is inserted, which a later task would compute instead) and
`secondary_indexes` (every index of the tables the pipeline writes that is neither unique nor
read by the pipeline: the search and trigram GIN indexes, and the inbox lists', reports' and
foreign keys' B-trees). Comma-separated; none by default.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_inbound as bench  # a sibling module of this script
import inproc

PASSES = int(os.environ.get("BOUND_PASSES", "3"))
TRADES = ("search_index", "secondary_indexes")
PIPELINE_TABLES = (
    "inbox_inboundemail", "inbox_thread", "inbox_message", "inbox_threadevent", "inbox_ticket",
    "inbox_contact",
)  # fmt: skip
# The lookup's and the duplicate check's index: the pipeline reads it on every mail.
PIPELINE_READS = frozenset({"message_msgid_workspace"})
CHUNK = inproc.CHUNK

LEDGER = """
INSERT INTO inbox_inboundemail (esp, esp_event_id, envelope_recipient, envelope_sender,
  esp_verdicts, raw, size, sha256, idempotency_key, received_at, status, reason_code,
  reason_detail, attempts, skip_checks, from_header, subject)
VALUES ('bound', '', %s, '', '{}', %b, %s, %s, %s, now(), 'received', '', '', 0, '[]', '', '')
RETURNING id"""
CLAIM = """
UPDATE inbox_inboundemail SET status = 'processing', attempts = attempts + 1,
  processing_started_at = now()
FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed
WHERE id = %s AND status IN ('received', 'processing')
RETURNING {returning}"""
LOOKUP = """
SELECT c.id, c.workspace_id,
  (SELECT k.id FROM inbox_contact k
   WHERE lower(k.email) = lower(%s) AND k.workspace_id = c.workspace_id)
FROM channels_cfg_emailchannel c JOIN channels_cfg_forwardingaddress f ON f.channel_id = c.id
WHERE f.address = %s"""
# One parameter per id, as ours: `= ANY(array)` got a generic plan that slowed as mail grew.
THREADS = """
SELECT m.message_id, m.thread_id FROM inbox_message m
WHERE m.message_id IN ({ids}) AND m.workspace_id + 0 = (
  SELECT c.workspace_id FROM channels_cfg_emailchannel c
  JOIN channels_cfg_forwardingaddress f ON f.channel_id = c.id WHERE f.address = %s)"""
CONTACT = """
INSERT INTO inbox_contact AS existing (workspace_id, email, name, created_at)
VALUES (%s, %s, %s, now())
ON CONFLICT (lower(email), workspace_id) DO UPDATE SET name = excluded.name
  WHERE existing.name = '' AND excluded.name <> ''
RETURNING id"""
THREAD = """
INSERT INTO inbox_thread (workspace_id, channel_id, contact_id, subject, snippet, status, kind,
  is_spam, message_count, created_at, last_message_at, woke_reason)
VALUES (%s, %s, %s, %s, %s, 'open', 'conversation', false, 1, now(), now(), '')
RETURNING id"""
TOUCH = """
UPDATE inbox_thread SET message_count = message_count + 1, last_message_at = now(), snippet = %s
WHERE id = %s"""
EVENT = """
INSERT INTO inbox_threadevent (thread_id, workspace_id, kind, at, data)
VALUES (%s, %s, 'assigned', now(), '{}')"""
TICKET = """
INSERT INTO inbox_ticket (thread_id, name, pipeline, status, priority, category, created_at)
VALUES (%s, %s, 'support', 'new', 'medium', '', now())"""
MESSAGE = """
INSERT INTO inbox_message (workspace_id, thread_id, direction, message_id, in_reply_to,
  "references", from_email, from_name, forwarded_by, attributed_via, attribution_rule,
  sender_warnings, forwarder_note, "to", cc, subject, text, html, is_auto_reply, is_bounce,
  delivery_status, delivery_error, delivery_attempts, is_forward, content_digest, inbound_id,
  created_at)
VALUES (%s, %s, 'in', %s, '', '', %s, %s, '', 'from_header', '', '[]', '', %s, '', %s, %s, %s,
  false, false, '', '', 0, false, %s, %s, now())"""
OUTCOME = """
UPDATE inbox_inboundemail SET status = 'accepted', processed_at = now(), channel_id = %s,
  workspace_id = %s
WHERE id = %s AND status = 'processing' AND attempts = %s"""

# The same writes as one server-side call: a new conversation when `p_thread` is null.
FUNCTION = """
CREATE OR REPLACE FUNCTION bound_store(
  p_inbound bigint, p_attempts int, p_channel bigint, p_workspace bigint, p_contact bigint,
  p_thread bigint, p_from text, p_name text, p_subject text, p_snippet text, p_message_id text,
  p_to text, p_text text, p_html text, p_digest text) RETURNS bigint AS $$
DECLARE
  v_contact bigint := p_contact;
  v_thread bigint := p_thread;
  matched int;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  IF v_thread IS NULL THEN
    IF v_contact IS NULL THEN
      INSERT INTO inbox_contact AS existing (workspace_id, email, name, created_at)
      VALUES (p_workspace, p_from, p_name, now())
      ON CONFLICT (lower(email), workspace_id) DO UPDATE SET name = excluded.name
        WHERE existing.name = '' AND excluded.name <> ''
      RETURNING id INTO v_contact;
    END IF;
    INSERT INTO inbox_thread (workspace_id, channel_id, contact_id, subject, snippet, status,
      kind, is_spam, message_count, created_at, last_message_at, woke_reason)
    VALUES (p_workspace, p_channel, v_contact, p_subject, p_snippet, 'open', 'conversation',
      false, 1, now(), now(), '')
    RETURNING id INTO v_thread;
    INSERT INTO inbox_threadevent (thread_id, workspace_id, kind, at, data)
    VALUES (v_thread, p_workspace, 'assigned', now(), '{}');
    INSERT INTO inbox_ticket (thread_id, name, pipeline, status, priority, category, created_at)
    VALUES (v_thread, p_subject, 'support', 'new', 'medium', '', now());
  ELSE
    UPDATE inbox_thread SET message_count = message_count + 1, last_message_at = now(),
      snippet = p_snippet
    WHERE id = v_thread;
  END IF;
  INSERT INTO inbox_message (workspace_id, thread_id, direction, message_id, in_reply_to,
    "references", from_email, from_name, forwarded_by, attributed_via, attribution_rule,
    sender_warnings, forwarder_note, "to", cc, subject, text, html, is_auto_reply, is_bounce,
    delivery_status, delivery_error, delivery_attempts, is_forward, content_digest, inbound_id,
    created_at)
  VALUES (p_workspace, v_thread, 'in', p_message_id, '', '', p_from, p_name, '', 'from_header',
    '', '[]', '', p_to, '', p_subject, p_text, p_html, false, false, '', '', 0, false, p_digest,
    p_inbound, now());
  UPDATE inbox_inboundemail SET status = 'accepted', processed_at = now(),
    channel_id = p_channel, workspace_id = p_workspace
  WHERE id = p_inbound AND status = 'processing' AND attempts = p_attempts;
  GET DIAGNOSTICS matched = ROW_COUNT;
  IF matched <> 1 THEN RAISE EXCEPTION 'claim lost'; END IF;
  RETURN v_thread;
END $$ LANGUAGE plpgsql"""
CALL = "SELECT bound_store(" + ", ".join(["%s"] * 15) + ")"


class Bare:
    """The bare contenders on their own connection (autocommit, every statement prepared)."""

    def __init__(self, database_url: str, recipient: str) -> None:
        import psycopg

        from inbox.inbound.content import content_digest
        from inbox.inbound.parse import parse
        from inbox.inbound.route import referenced_ids

        self.parse, self.digest, self.referenced = parse, content_digest, referenced_ids
        self.recipient = recipient
        self.connection = psycopg.connect(database_url, autocommit=True, prepare_threshold=0)
        self.connection.execute(FUNCTION)
        self.binary = self.connection.cursor(binary=True)

    def receive(self, raw: bytes) -> int:
        """The ledger row, committed durably as intake commits it."""
        sha256 = hashlib.sha256(raw).hexdigest()
        key = hashlib.sha256(f"{self.recipient}\n{sha256}".encode()).hexdigest()
        row = self.connection.execute(LEDGER, (self.recipient, raw, len(raw), sha256, key))
        return int((row.fetchone() or (0,))[0])

    def claim(self, inbound: int, returning: str) -> tuple[Any, ...] | None:
        """The claim's UPDATE, returning these columns of the row."""
        return self.binary.execute(CLAIM.format(returning=returning), (inbound,)).fetchone()

    def _receive_and_claim(self, raw: bytes) -> tuple[int, int, Any, str]:
        inbound = self.receive(raw)
        claimed, attempts = self.claim(inbound, "raw, attempts") or (b"", 0)
        parsed = self.parse(bytes(claimed))
        return inbound, attempts, parsed, self.digest(parsed)

    def _lookup(self, parsed: Any) -> tuple[int, int, int | None, int | None]:
        """The channel, the sender's contact, and the thread of the first referenced id known."""
        channel_id, workspace_id, contact_id, known = self._lookup_all(parsed)
        thread_id = next((known[m] for m in self.referenced(parsed) if m in known), None)
        return channel_id, workspace_id, contact_id, thread_id

    def statements(self, raw: bytes) -> None:
        inbound, attempts, parsed, digest = self._receive_and_claim(raw)
        connection = self.connection
        with connection.transaction(), connection.pipeline():
            connection.execute("SET LOCAL synchronous_commit TO OFF")
            channel_id, workspace_id, contact_id, thread_id = self._lookup(parsed)
            snippet = parsed.text[:200]
            if thread_id is None:
                if contact_id is None:
                    contact = connection.execute(
                        CONTACT, (workspace_id, parsed.from_email, parsed.from_name)
                    ).fetchone()
                    contact_id = contact[0] if contact else None
                created = connection.execute(
                    THREAD, (workspace_id, channel_id, contact_id, parsed.subject, snippet)
                ).fetchone()
                thread_id = created[0] if created else 0
                connection.execute(EVENT, (thread_id, workspace_id))
                connection.execute(TICKET, (thread_id, parsed.subject))
            else:
                connection.execute(TOUCH, (snippet, thread_id))
            connection.execute(
                MESSAGE,
                (
                    workspace_id, thread_id, parsed.message_id, parsed.from_email,
                    parsed.from_name, self.recipient, parsed.subject, parsed.text, parsed.html,
                    digest, inbound,
                ),
            )  # fmt: skip
            outcome = connection.execute(OUTCOME, (channel_id, workspace_id, inbound, attempts))
        if outcome.rowcount != 1:
            raise RuntimeError("claim lost")

    def function(self, raw: bytes) -> None:
        inbound, attempts, parsed, digest = self._receive_and_claim(raw)
        channel_id, workspace_id, contact_id, thread_id = self._lookup(parsed)
        self.connection.execute(
            CALL,
            (
                inbound, attempts, channel_id, workspace_id, contact_id, thread_id,
                parsed.from_email, parsed.from_name, parsed.subject, parsed.text[:200],
                parsed.message_id, self.recipient, parsed.text, parsed.html, digest,
            ),
        ).fetchone()  # fmt: skip

    def lean(self, raw: bytes) -> None:
        """`function`, with the product's own pure stages in between: attribution, validation,
        routing (threads by Message-ID), the content, snippet and sanitized HTML it stores."""
        from django.conf import settings

        from helpdesk.html_text import html_to_text
        from helpdesk.mail_ids import is_our_message_id, loop_header_value
        from helpdesk.mail_ids import test_token_from_message_id as test_token
        from inbox.inbound import route as routing
        from inbox.inbound.attribute import ChannelRules, attribute
        from inbox.inbound.content import content_for, snippet
        from inbox.inbound.sanitize import sanitize
        from inbox.inbound.validate import ValidationContext, is_auto_reply, is_bounce, validate

        inbound, attempts, parsed, digest = self._receive_and_claim(raw)
        channel_id, workspace_id, contact_id, known = self._lookup_all(parsed)
        authserv_ids = frozenset(a.lower() for a in settings.INBOUND_AUTHSERV_IDS)
        attribution = attribute(
            parsed,
            ChannelRules(
                attribute_to_forwarder=False, trusted_forwarders=frozenset(),
                forwarding_address=self.recipient, colleague_domains=frozenset(),
                sender_authenticated=False,
            ),
        )  # fmt: skip
        confirmation = routing.forwarding_confirmation(parsed, from_any_sender=False)
        token = test_token(parsed.message_id) if parsed.message_id else None
        context = ValidationContext(
            size=len(raw), max_size=64 * 1024 * 1024,
            max_message_bytes=settings.INBOUND_MAX_MESSAGE_BYTES,
            envelope_recipient=self.recipient, channel_status="connected",
            authserv_ids=authserv_ids, loop_header_value=loop_header_value(),
            message_id_is_ours=bool(parsed.message_id) and is_our_message_id(parsed.message_id),
            our_from_addresses=frozenset({self.recipient}),
            is_expected_in_draft=bool(token or confirmation), is_test_email=bool(token),
        )  # fmt: skip
        senders = tuple({parsed.from_email, attribution.from_email} - {""})
        assert validate(parsed, context, senders) is None
        content = content_for(parsed, attribution, digest)
        decision = routing.route(
            parsed, attribution, routing.Candidates(thread_by_message_id=known),
            routing.ChannelRouting(create_tickets=True, auto_assign=True),
            is_auto_reply=is_auto_reply(parsed), is_bounce=is_bounce(parsed),
            confirmation=confirmation,
        )  # fmt: skip
        thread_id = decision.thread_id if isinstance(decision, routing.AppendToThread) else None
        html = sanitize(content.html)
        self.connection.execute(
            CALL,
            (
                inbound, attempts, channel_id, workspace_id, contact_id, thread_id,
                attribution.from_email, attribution.from_name, content.subject, snippet(content),
                parsed.message_id, parsed.to, content.text or html_to_text(html), html, digest,
            ),
        ).fetchone()  # fmt: skip

    def _lookup_all(self, parsed: Any) -> tuple[int, int, int | None, dict[str, int]]:
        """One round trip: the channel, the sender's contact, and every referenced Message-ID's
        thread."""
        referenced = self.referenced(parsed)
        with self.connection.pipeline():
            channel = self.connection.execute(LOOKUP, (parsed.from_email, self.recipient))
            threads = (
                self.connection.execute(
                    THREADS.format(ids=", ".join(["%s"] * len(referenced))),
                    (*referenced, self.recipient),
                )
                if referenced
                else None
            )
        channel_id, workspace_id, contact_id = channel.fetchone() or (0, 0, None)
        known: dict[str, int] = dict(threads.fetchall()) if threads is not None else {}
        return channel_id, workspace_id, contact_id, known

    def close(self) -> None:
        self.connection.execute("DROP FUNCTION bound_store")
        self.connection.close()


def _counts() -> tuple[int, int]:
    from inbox.models import Message, Thread

    return Thread.objects.count(), Message.objects.count()


def _each(run: Callable[[bytes], None], mails: list[bytes]) -> None:
    for raw in mails:
        run(raw)


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of a PostgreSQL backend process so far, when the server runs on
    this machine and /proc tells; None otherwise."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def without(trades: frozenset[str]) -> None:
    """Take `trades` (of TRADES) off the writes of the database Django is connected to: only
    ever this benchmark's own fresh one."""
    unknown = trades - set(TRADES)
    if unknown:
        raise SystemExit(f"BOUND_WITHOUT: unknown {sorted(unknown)}; known: {', '.join(TRADES)}")
    from django.db import connection

    with connection.cursor() as cursor:
        if "search_index" in trades:
            cursor.execute("ALTER TABLE inbox_message DISABLE TRIGGER inbox_message_search")
        if "secondary_indexes" in trades:
            cursor.execute(
                "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "JOIN pg_class t ON t.oid = x.indrelid "
                "WHERE t.relname = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary",
                [list(PIPELINE_TABLES)],
            )
            for (name,) in cursor.fetchall():
                if name not in PIPELINE_READS:
                    cursor.execute(f'DROP INDEX "{name}"')


def main() -> None:
    trades = frozenset(filter(None, os.environ.get("BOUND_WITHOUT", "").split(",")))
    bench.say(f"Fresh database {bench.DATABASE_URL.rsplit('/', 1)[-1]} ...")
    bench.fresh_database()
    bench.setup_django()
    without(trades)
    if trades:
        bench.say(f"  without: {', '.join(sorted(trades))}")
    mails = inproc.synthetic_mail(1000, recipient=bench.RECIPIENT, seed=1)
    floor = inproc.Floor(bench.DATABASE_URL)
    bare = Bare(bench.DATABASE_URL, bench.RECIPIENT)
    from bound_faithful import Faithful  # its module-level imports need Django set up

    faithful = Faithful(bare)

    def ours(raw: bytes) -> None:
        inproc.ingest(raw, bench.RECIPIENT)

    contenders: dict[str, Callable[[bytes], None]] = {
        "ours": ours,
        "bare_statements": bare.statements,
        "bare_function": bare.function,
        "lean": bare.lean,
        "faithful": faithful.store,
    }
    seconds = {name: [0.0] * PASSES for name in ("floor", *contenders)}
    # Where the time goes: this process's CPU, and the CPU of the contender's PostgreSQL backend.
    from django.db import connection

    connection.ensure_connection()
    backends = {
        "floor": floor.connection.info.backend_pid,
        "ours": connection.connection.info.backend_pid,
        "bare_statements": bare.connection.info.backend_pid,
        "bare_function": bare.connection.info.backend_pid,
        "lean": bare.connection.info.backend_pid,
        "faithful": bare.connection.info.backend_pid,
    }
    client_cpu = {name: 0.0 for name in seconds}
    server_cpu: dict[str, float | None] = {name: 0.0 for name in seconds}

    def timed(name: str, run: Callable[[], object]) -> float:
        server_before = backend_cpu_seconds(backends[name])
        cpu_before, started = time.process_time(), time.perf_counter()
        run()
        elapsed = time.perf_counter() - started
        client_cpu[name] += time.process_time() - cpu_before
        server_after = backend_cpu_seconds(backends[name])
        total = server_cpu[name]
        server_cpu[name] = (
            None
            if total is None or server_before is None or server_after is None
            else total + server_after - server_before
        )
        return elapsed

    written = {name: [0, 0] for name in contenders}
    try:
        with inproc.no_queueing():
            for number in range(PASSES):
                copies = {name: inproc.unique(mails, f"{name}-{number}") for name in contenders}
                for start in range(0, len(mails), CHUNK):
                    chunk = mails[start : start + CHUNK]
                    seconds["floor"][number] += timed("floor", partial(floor.run, chunk))
                    for name, run in contenders.items():
                        before = _counts()
                        chunk_copies = copies[name][start : start + CHUNK]
                        seconds[name][number] += timed(name, partial(_each, run, chunk_copies))
                        after = _counts()
                        written[name][0] += after[0] - before[0]
                        written[name][1] += after[1] - before[1]
                ratios = {n: seconds["floor"][number] / seconds[n][number] for n in contenders}
                bench.say(
                    f"  pass {number + 1}: "
                    + ", ".join(f"{n} {ratio:.3f} of the floor" for n, ratio in ratios.items())
                )
    finally:
        floor.close()
        faithful.close()
        bare.close()
    # Each contender stored every mail and threaded the replies alike.
    threads = {name: counts[0] for name, counts in written.items()}
    messages = {name: counts[1] for name, counts in written.items()}
    assert len(set(threads.values())) == 1, f"threads differ: {threads}"
    assert set(messages.values()) == {len(mails) * PASSES}, f"messages: {messages}"
    per_mail_ms = {
        name: round(statistics.median(passes) * 1000 / len(mails), 3)
        for name, passes in seconds.items()
    }
    vs_floor = {
        name: round(statistics.median(seconds["floor"][n] / s for n, s in enumerate(passes)), 3)
        for name, passes in seconds.items()
        if name != "floor"
    }
    mails_run = len(mails) * PASSES
    client_ms = {name: round(cpu * 1000 / mails_run, 3) for name, cpu in client_cpu.items()}
    server_ms = {
        name: None if cpu is None else round(cpu * 1000 / mails_run, 3)
        for name, cpu in server_cpu.items()
    }
    bench.say(f"  ms per mail (median of {PASSES} passes): {per_mail_ms}")
    bench.say(f"  CPU ms per mail, this process: {client_ms}")
    bench.say(f"  CPU ms per mail, the PostgreSQL backend (None: not on this machine): {server_ms}")
    print(
        json.dumps(
            {
                "bound_ms_per_mail": per_mail_ms,
                "bound_vs_floor": vs_floor,
                "bound_threads_per_pass": threads["ours"] // PASSES,
                "bound_client_cpu_ms_per_mail": client_ms,
                "bound_server_cpu_ms_per_mail": server_ms,
                "bound_without": sorted(trades),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
