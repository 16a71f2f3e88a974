"""A private helpdesk: its own PostgreSQL and Redis, gunicorn and a Celery worker with beat.

`make drill` and the fault tests break it on purpose. Django must already be configured in this
process; `using` is the database alias that points at the private cluster (the drill's default,
an extra alias in a test). The clocks are shortened so that a drill takes seconds: the sweeper
requeues after 3 s (production: 120 s) and the broker redelivers an unacknowledged task after
12 s (production: 2 h).
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db.models import Count
from django.utils import timezone

from channels_cfg.models import EmailChannel, ForwardingAddress
from helpdesk.models import Workspace
from inbox.models import InboundEmail, Message
from tests.faults.private_services import (
    PrivatePostgres,
    PrivateRedis,
    free_port,
    kill_process_group,
    start_gunicorn,
    start_worker,
    stop_process,
)
from tests.inbox.payloads import (
    BASIC_AUTH,
    MAILGUN_SIGNING_KEY,
    WEBHOOK_SECRET,
    mailgun_mime_post,
    simple_message,
)

WEBHOOK_PATH = "/anymail/mailgun/inbound_mime/"
# Above the first retry countdown (10 s), so a retry waiting for its time is not redelivered.
VISIBILITY_TIMEOUT_SECONDS = 12
FINAL = [
    InboundEmail.Status.ACCEPTED,
    InboundEmail.Status.REJECTED,
    InboundEmail.Status.DUPLICATE,
    InboundEmail.Status.FAILED,
]


@dataclass(frozen=True)
class Mail:
    """One delivery as the ESP posts it (the same bytes each time it retries)."""

    message_id: str
    body: bytes
    content_type: str


@dataclass
class Stack:
    postgres: PrivatePostgres
    redis: PrivateRedis
    database_url: str
    directory: Path
    using: str = "default"
    queue: str = field(default_factory=lambda: f"drill-{uuid.uuid4().hex[:8]}")
    web_port: int = field(default_factory=free_port)
    web: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    workers_started: int = 0

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "ANYMAIL_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY,
            "INBOUND_REQUEUE_AFTER_SECONDS": "3",
            "INBOUND_SWEEP_INTERVAL_SECONDS": "2",
            # Replies: the outbound sweeper's clock, and mail written to files that drills count.
            "OUTBOUND_REQUEUE_AFTER_SECONDS": "3",
            "OUTBOUND_SWEEP_INTERVAL_SECONDS": "2",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.directory / "sent-mail"),
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT_SECONDS),
            "DEBUG": "true",
            "TESTING": "false",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("PYTEST_CURRENT_TEST", None)
        return env

    def start_web(self) -> None:
        self.web = start_gunicorn(
            self.env(), port=self.web_port, log_path=self.directory / "gunicorn.log"
        )

    def start_worker(self) -> Path:
        """A new worker process with beat embedded (the sweeper); returns its log file."""
        self.workers_started += 1
        log = self.directory / f"worker-{self.workers_started}.log"
        self.worker = start_worker(self.env(), queue=self.queue, log_path=log, beat=True)
        return log

    def kill_worker(self) -> None:
        """SIGKILL the worker, its pool and its beat: a machine that died, no warm shutdown."""
        if self.worker is not None:
            kill_process_group(self.worker)

    def stop(self) -> None:
        for process in (self.worker, self.web):
            if process is not None:
                stop_process(process)

    def post(self, mail: Mail) -> int:
        """POST one delivery to the webhook; the HTTP status, or 0 when nothing answered."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}{WEBHOOK_PATH}",
            data=mail.body,
            headers={"Content-Type": mail.content_type, "Authorization": BASIC_AUTH},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            return 0

    def post_all(self, mails: Iterable[Mail]) -> list[int]:
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(self.post, mails))

    def new_address(self, label: str) -> str:
        """A connected channel of its own, so that each drill counts only its own mail."""
        tag = f"{label}-{uuid.uuid4().hex[:6]}"
        workspace = Workspace.objects.using(self.using).create(
            name=tag, company_name=tag, subdomain=tag, plan=Workspace.Plan.PAID
        )
        channel = EmailChannel.objects.using(self.using).create(
            workspace=workspace,
            name="Support",
            company_name=tag,
            status=EmailChannel.Status.CONNECTED,
            connected_at=timezone.now(),
        )
        return (
            ForwardingAddress.objects.using(self.using)
            .create(
                channel=channel,
                address=f"{tag}@{workspace.hosted_domain}",
                locked_at=timezone.now(),
            )
            .address
        )


def mails_to(address: str, count: int, label: str) -> list[Mail]:
    made = []
    for number in range(count):
        message_id = f"<{uuid.uuid4().hex}@drill.example>"
        raw = simple_message(to=address, subject=f"{label} {number}", message_id=message_id)
        body, content_type = mailgun_mime_post(raw, recipient=address)
        made.append(Mail(message_id, body, content_type))
    return made


def rows_final(stack: Stack, address: str) -> int:
    rows = InboundEmail.objects.using(stack.using).filter(envelope_recipient=address)
    return rows.filter(status__in=FINAL).count()


def wait_for_rows(stack: Stack, address: str, expected: int, *, timeout: float) -> float | None:
    """Seconds until `expected` rows of the address are final, or None at the timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if rows_final(stack, address) >= expected:
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def tally(
    stack: Stack, *, drill: str, address: str, mails: list[Mail], answers: list[int]
) -> dict[str, Any]:
    """The drill's line: what was posted and answered, and what became of each mail."""
    ids = {mail.message_id for mail in mails}
    per_mail = (
        Message.objects.using(stack.using)
        .filter(message_id__in=ids)
        .values("message_id")
        .annotate(copies=Count("id"))
    )
    copies = [row["copies"] for row in per_mail]
    return {
        "drill": drill,
        "posted": len(answers),
        "answered_200": sum(1 for status in answers if status == 200),
        "answered_5xx": sum(1 for status in answers if 500 <= status < 600),
        "ledger_rows": InboundEmail.objects.using(stack.using)
        .filter(envelope_recipient=address)
        .count(),
        "messages": sum(copies),
        "duplicates": sum(count - 1 for count in copies),
        "lost": len(ids) - len(copies),
    }
