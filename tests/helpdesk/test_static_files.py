"""The README's production recipe serves static files: collectstatic, then gunicorn alone
(DEBUG=false) answers /static/ through WhiteNoise, with hashed names cached for a year."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ONE_YEAR = 365 * 24 * 60 * 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _production_env(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "TESTING", "PYTEST_CURRENT_TEST", "REDIS_URL"}
    }
    env.update(
        DEBUG="false",
        TESTING="false",
        SECRET_KEY="static-files-test-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(tmp_path / "static"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        LOG_LEVEL="WARNING",
    )
    return env


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.fixture
def production_server(tmp_path: Path) -> Iterator[int]:
    env = _production_env(tmp_path)
    subprocess.run(
        [str(BIN / "python"), "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=240,
    )
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "helpdesk.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=REPO,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_gunicorn_serves_hashed_compressed_static_files_with_debug_off(
    production_server: int,
) -> None:
    page = http.client.HTTPConnection("127.0.0.1", production_server, timeout=10)
    page.request("GET", "/login/")
    response = page.getresponse()
    html = response.read().decode()
    assert response.status == 200

    # {% static %} names the hashed copy, which is served and cached for a year.
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', html)
    assert stylesheet, html[:500]
    css = _get(production_server, stylesheet[1], {"Accept-Encoding": "gzip"})
    assert css.status == 200
    assert css.getheader("Content-Type", "").startswith("text/css")
    assert css.getheader("Content-Encoding") in {"gzip", "br"}
    cache_control = css.getheader("Cache-Control", "")
    max_age = int(re.search(r"max-age=(\d+)", cache_control)[1])  # type: ignore[index]
    assert max_age >= ONE_YEAR and "immutable" in cache_control

    # htmx (from node_modules) is served the same way.
    script = re.search(r'src="(/static/vendor/htmx/htmx\.min\.[0-9a-f]{12}\.js)"', html)
    assert script and _get(production_server, script[1]).status == 200

    # The unhashed name still answers (a stale page), but is not cached for long.
    plain = _get(production_server, "/static/css/app.css")
    assert plain.status == 200
    assert "immutable" not in plain.getheader("Cache-Control", "")
