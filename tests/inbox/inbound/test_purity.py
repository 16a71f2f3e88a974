"""The stages of inbox.inbound are pure: importing them loads no Django, nothing of inbox outside
inbox.inbound and of helpdesk only its HTML-to-text (only pipeline.py, the shell, may)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import inbox.inbound

REPO = Path(__file__).resolve().parents[3]
STAGES = sorted(
    f"inbox.inbound.{module.name}"
    for module in pkgutil.iter_modules(inbox.inbound.__path__)
    if module.name != "pipeline"
)

# Runs in a fresh interpreter where Django cannot be imported: kombu (through helpdesk's Celery
# app) merely probes for it and carries on, while a stage importing it fails to import at all.
PROBE = """
import importlib, json, sys

class NoDjango:
    def find_spec(self, name, path=None, target=None):
        if name == "django" or name.startswith("django."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoDjango())
importlib.import_module(sys.argv[1])
ours = ("inbox", "helpdesk", "channels_cfg")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ours + ("django",))))
"""


def modules_loaded_by(module: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, module],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.fixture(scope="module")
def helpdesk_package() -> set[str]:
    """What `import helpdesk` loads by itself (its Celery app), whichever module asks for it."""
    return modules_loaded_by("helpdesk")


@pytest.mark.parametrize("module", STAGES)
def test_a_stage_imports_without_django_or_the_rest_of_the_project(module, helpdesk_package):
    loaded = modules_loaded_by(module)
    assert not {name for name in loaded if name.split(".")[0] == "django"}
    allowed = helpdesk_package | {"helpdesk.html_text", "inbox", "inbox.inbound"}
    outside = {name for name in loaded if not name.startswith("inbox.inbound.")} - allowed
    assert not outside


def test_every_stage_is_checked():
    assert {"inbox.inbound.parse", "inbox.inbound.validate", "inbox.inbound.route"} <= set(STAGES)
    assert "inbox.inbound.pipeline" not in STAGES
