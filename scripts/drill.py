"""`make drill`: the fault drills against a private PostgreSQL and Redis, one JSON line each.

Starts a PostgreSQL cluster and a redis-server of its own on free loopback ports (the shared
servers on 5432 and 6379 are never touched), migrates a fresh database, serves the webhooks with
gunicorn and runs a Celery worker with beat, then runs each drill of tests/faults/drills.py.
Each drill's line says what was posted, how it was answered, and what became of each mail:
`"lost": 0, "duplicates": 0` is the promise. Progress goes to stderr, the lines to stdout; the
exit status is 1 when any drill lost or doubled mail, or failed.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.faults.private_services import PrivatePostgres, PrivateRedis  # noqa: E402

if TYPE_CHECKING:
    from tests.faults.stack import Stack


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def setup_django(database_url: str, redis_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="helpdesk.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="true",
        TESTING="false",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def run_drills(postgres: PrivatePostgres, redis: PrivateRedis, directory: Path) -> int:
    """Run every drill, print its line; returns how many broke the promise."""
    from tests.faults.drills import DRILLS
    from tests.faults.stack import Stack

    stack = Stack(postgres, redis, database_url=postgres.url("helpdesk"), directory=directory)
    failed = 0
    try:
        stack.start_web()
        stack.start_worker()
        for drill in DRILLS:
            line = run_one(drill, stack)
            print(json.dumps(line), flush=True)
            failed += not kept_the_promise(line)
    finally:
        stack.stop()
    # The closing line CI reads, as a test runner's.
    print(f"drill: {len(DRILLS) - failed} passed, {failed} failed", flush=True)
    return failed


def run_one(drill: Callable[[Stack], dict[str, Any]], stack: Stack) -> dict[str, Any]:
    from django.db import connections

    say(f"drill: {drill.__name__} ...")
    started = time.monotonic()
    try:
        line = drill(stack)
    except Exception:
        traceback.print_exc()
        line = {"drill": drill.__name__, "error": traceback.format_exc(limit=1)}
    # The drill may have restarted PostgreSQL under this process's own connection too.
    connections.close_all()
    line["seconds"] = round(time.monotonic() - started, 1)
    line["worker_alive"] = stack.worker is not None and stack.worker.poll() is None
    return line


def kept_the_promise(line: dict[str, Any]) -> bool:
    return (
        "error" not in line
        and line["lost"] == 0
        and line["duplicates"] == 0
        and line["worker_alive"] is True
    )


def main() -> int:
    directory = Path(tempfile.mkdtemp(prefix="helpdesk-drill-"))
    postgres = PrivatePostgres()
    redis = PrivateRedis(directory / "redis")
    try:
        say(f"Starting a private PostgreSQL (port {postgres.port}) and Redis (port {redis.port})")
        postgres.init()
        redis.start()
        setup_django(postgres.create_database("helpdesk"), redis.url)
        failed = run_drills(postgres, redis, directory)
    finally:
        redis.stop()
        postgres.destroy()
    if failed:
        say(f"The worker's and gunicorn's logs: {directory}")
        return 1
    shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
