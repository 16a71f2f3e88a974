"""The fault drills: each breaks one part of a private stack under mail and says what survived.

Each returns its line for `make drill` (scripts/drill.py): posted, answered_200, answered_5xx,
ledger_rows, messages, duplicates, lost, and sometimes how long recovery took. The fault tests
run some of them and assert on the same line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connections
from django.db.models import QuerySet

from inbox.models import InboundEmail
from tests.faults.private_services import wait_until
from tests.faults.reply_drill import replies_redis_down
from tests.faults.stack import (
    VISIBILITY_TIMEOUT_SECONDS,
    Mail,
    Stack,
    mails_to,
    rows_final,
    tally,
    wait_for_rows,
)

Line = dict[str, Any]
# Long enough for the slowest recovery a drill provokes (a redelivery after the broker's
# shortened visibility timeout), short enough to keep `make drill` within minutes.
RECOVERY_TIMEOUT = 60.0


def redis_down(stack: Stack) -> Line:
    """Posts while Redis is down are stored and answered 200; the sweeper queues them after."""
    address = stack.new_address("redis-down")
    mails = mails_to(address, 30, "Redis down")
    stack.redis.stop()
    try:
        answers = stack.post_all(mails)
    finally:
        stack.redis.start()
    wait_for_rows(stack, address, len(mails), timeout=RECOVERY_TIMEOUT)
    return tally(stack, drill="redis_down", address=address, mails=mails, answers=answers)


def worker_killed(stack: Stack) -> Line:
    """SIGKILL the worker mid-batch and start another: acks_late redelivers what it held."""
    address = stack.new_address("worker-killed")
    mails = mails_to(address, 60, "Worker killed")
    with ThreadPoolExecutor(max_workers=1) as esp:
        posting = esp.submit(stack.post_all, mails)
        wait_until(
            lambda: rows_final(stack, address) >= 5 and _is_running(stack, address),
            timeout=30,
            what="the worker did not start on the batch",
        )
        stack.kill_worker()
        unfinished = len(mails) - rows_final(stack, address)
        running = _rows(stack, address).filter(status=InboundEmail.Status.PROCESSING).count()
        answers = posting.result()
    # The replacement comes up once the broker counts the dead worker's tasks as abandoned
    # (the visibility timeout), so its first look for abandoned tasks, 10 s after it starts,
    # hands them over.
    time.sleep(VISIBILITY_TIMEOUT_SECONDS)
    stack.start_worker()
    wait_for_rows(stack, address, len(mails), timeout=RECOVERY_TIMEOUT)
    line = tally(stack, drill="worker_killed", address=address, mails=mails, answers=answers)
    return {**line, "unfinished_at_kill": unfinished, "running_at_kill": running}


def postgres_down(stack: Stack) -> Line:
    """PostgreSQL stops between two mails: posts answer 5xx, the ESP posts them again after.

    The worker has just processed the mail before the outage, so it holds open connections,
    which die with the server; mail during the outage is refused (the ESP retries once the
    database is back); mail after it is new. `resumed_s` runs from the database coming back
    to every row being final: a worker that kept its dead connections never gets there.
    """
    address = stack.new_address("postgres-down")
    before, during, after = (mails_to(address, count, "Postgres") for count in (40, 20, 20))
    answers = stack.post_all(before)
    wait_for_rows(stack, address, len(before), timeout=RECOVERY_TIMEOUT)
    stack.postgres.stop()
    try:
        answers += stack.post_all(during)
        time.sleep(2)
    finally:
        stack.postgres.start()
    back = time.monotonic()
    connections[stack.using].close()  # this process's own connection died with the server
    refused = [
        mail for mail, status in zip(during, answers[len(before) :], strict=True) if status != 200
    ]
    answers += _post_until_accepted(stack, refused + after)
    wait_for_rows(stack, address, len(before + during + after), timeout=RECOVERY_TIMEOUT)
    line = tally(
        stack,
        drill="postgres_down",
        address=address,
        mails=before + during + after,
        answers=answers,
    )
    return {**line, "resumed_s": round(time.monotonic() - back, 1)}


def esp_retries(stack: Stack) -> Line:
    """Each delivery posted 3 times, the copies racing each other: one message each."""
    address = stack.new_address("esp-retries")
    mails = mails_to(address, 30, "ESP retry")
    answers = stack.post_all([mail for mail in mails for _ in range(3)])
    wait_for_rows(stack, address, len(mails), timeout=RECOVERY_TIMEOUT)
    return tally(stack, drill="esp_retries", address=address, mails=mails, answers=answers)


def _rows(stack: Stack, address: str) -> QuerySet[InboundEmail]:
    return InboundEmail.objects.using(stack.using).filter(envelope_recipient=address)


def _is_running(stack: Stack, address: str) -> bool:
    return _rows(stack, address).filter(status=InboundEmail.Status.PROCESSING).exists()


def _post_until_accepted(stack: Stack, mails: list[Mail], attempts: int = 5) -> list[int]:
    """Post like an ESP: whatever was not answered 200 is posted again, a little later."""
    answers: list[int] = []
    for _ in range(attempts):
        statuses = stack.post_all(mails)
        answers += statuses
        mails = [mail for mail, status in zip(mails, statuses, strict=True) if status != 200]
        if not mails:
            break
        time.sleep(1)
    return answers


# The drills `make drill` runs, in order. Add new drills here.
DRILLS: list[Callable[[Stack], Line]] = [
    redis_down,
    worker_killed,
    postgres_down,
    esp_retries,
    replies_redis_down,
]
