"""Links in mail we send are built from SITE_URL; without it they follow PORT, where `make run`
serves (a demo on PORT=8123 mailed links to :8000)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO_ROOT


def site_url(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT"}}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; django.setup(); "
            "print(settings.SITE_URL)",
        ],
        cwd=REPO_ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_site_url_follows_port_when_unset() -> None:
    assert site_url(PORT="8123") == "http://127.0.0.1:8123"
    assert site_url() == "http://127.0.0.1:8000"


def test_an_explicit_site_url_wins() -> None:
    assert (
        site_url(PORT="8123", SITE_URL="https://help.acme.example/") == "https://help.acme.example"
    )


def test_make_run_passes_its_port_to_site_url() -> None:
    script = (REPO_ROOT / "scripts" / "run.sh").read_text()
    assert 'export SITE_URL="${SITE_URL:-http://127.0.0.1:${PORT}}"' in script
