"""Private Redis and PostgreSQL servers, and the worker and web processes that use them.

Fault tests and `make drill` stop and restart these servers under load. Each listens on a free
loopback port with its files in its own temporary folder, so the shared servers on 6379 and 5432
(which other test runs use) are never touched. Nothing here imports Django.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parents[2]
POSTGRES_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class ServiceError(RuntimeError):
    """A private server or process did not start or stop in time."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise ServiceError(f"{what} within {timeout:.0f}s")
        time.sleep(0.1)


def is_listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class PrivateRedis:
    """A redis-server of our own; `stop()` then `start()` is an outage of the broker.

    It keeps its data across a restart (append-only file, as a production broker should), so what an
    outage tests is the clients, not data loss (data loss is the sweeper's: docs/reliability.md,
    "Redis losing its data").
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "yes", "--appendfsync", "always"),
                *("--maxmemory-policy", "noeviction"),
                *("--dir", str(self.directory), "--logfile", str(self.directory / "redis.log")),
            ],
            stdin=subprocess.DEVNULL,
        )
        wait_until(self.is_up, timeout=20, what=f"redis-server did not answer on {self.port}")

    def is_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def outage(self, seconds: float) -> None:
        self.stop()
        time.sleep(seconds)
        self.start()


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb into a temporary folder, trust auth)."""

    def __init__(self) -> None:
        if not POSTGRES_BIN_DIRS:
            raise ServiceError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        self.bin = POSTGRES_BIN_DIRS[0]
        self.directory = Path(tempfile.mkdtemp(prefix="helpdesk-private-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        # initdb refuses to run as root: the cluster belongs to the postgres OS user.
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.directory, user="postgres", group="postgres")
            self._as_owner = ["runuser", "-u", "postgres", "--"]

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        command = [*self._as_owner, str(self.bin / tool), *args]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise ServiceError(f"{tool} {' '.join(args)} failed: {result.stderr or result.stdout}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()

    def _ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=100"
        )
        log = str(self.directory / "postgres.log")
        self._run("pg_ctl", action, "-D", str(self.data), "-l", log, "-o", options, "-w", *extra)

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


def start_worker(
    env: Mapping[str, str],
    *,
    queue: str,
    log_path: Path,
    pool: str = "prefork",
    concurrency: int = 2,
    beat: bool = False,
) -> subprocess.Popen[bytes]:
    """A `celery worker` process (with beat embedded when asked), logging to `log_path`."""
    command = [
        sys.executable,
        *("-m", "celery", "-A", "helpdesk", "worker"),
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        "--loglevel=INFO",
        *("-Q", queue, "--logfile", str(log_path)),
    ]
    if beat:
        command += ["--beat", "--schedule", str(log_path.with_suffix(".beat-schedule"))]
    # What it prints before its logging starts (an import error) goes to the same file. A
    # session of its own, so that stopping it also stops the pool's children and the beat.
    with log_path.open("ab") as output:
        return subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )


def start_gunicorn(env: Mapping[str, str], *, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """The web process that ESP webhooks post to, logging to `log_path`."""
    with log_path.open("ab") as output:
        process = _popen_gunicorn(env, port, output)
    try:
        wait_until(lambda: is_listening(port), timeout=30, what="gunicorn did not listen")
    except ServiceError:
        kill_process_group(process)
        raise
    return process


def _popen_gunicorn(
    env: Mapping[str, str], port: int, output: IO[bytes]
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "helpdesk.wsgi",
            *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"),
            *("--worker-class", "gthread", "--log-level", "warning"),
        ],
        cwd=REPO_ROOT,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=output,
        start_new_session=True,
    )


def stop_process(process: subprocess.Popen[bytes], *, timeout: float = 30) -> None:
    """SIGTERM (a warm shutdown for Celery), then SIGKILL to what is left of its session.

    The process was started in a session of its own, so its process group holds its children
    (the prefork pool, the embedded beat) and nothing else.
    """
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    kill_process_group(process)


def kill_process_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and every child it left (its group is its own pid)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
