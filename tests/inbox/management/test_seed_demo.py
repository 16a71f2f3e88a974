from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from channels_cfg.models import EmailChannel
from channels_cfg.signature import render_signature
from helpdesk.models import Agent, Team, Workspace
from inbox.management.commands import seed_demo
from inbox.models import Contact, Message, Thread

pytestmark = pytest.mark.django_db

REAL_CREDENTIALS_FILE = seed_demo.CREDENTIALS_FILE


@pytest.fixture(autouse=True)
def credentials_file(tmp_path, monkeypatch):
    """Tests never read or overwrite the developer's own demo passwords in var/."""
    path = tmp_path / "demo-credentials.json"
    monkeypatch.setattr(seed_demo, "CREDENTIALS_FILE", path)
    return path


def _seed_json() -> dict:
    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_seed_demo_creates_a_usable_workspace(settings) -> None:
    summary = _seed_json()
    assert summary["workspace"] == "demo"
    workspace = Workspace.objects.get(subdomain="demo")
    assert (workspace.company_name, workspace.plan) == ("Acme", "paid")
    channel = EmailChannel.objects.get(pk=summary["channel_id"], workspace=workspace)
    assert channel.status == EmailChannel.Status.CONNECTED
    assert summary["forwarding_address"] == channel.forwarding_address.address
    assert summary["forwarding_address"].endswith(settings.HOSTED_INBOX_DOMAIN)
    assert Agent.objects.filter(workspace=workspace, role="admin").count() == 1
    assert Agent.objects.filter(workspace=workspace, role="agent").count() == 2
    assert len(summary["agent_emails"]) == 3
    assert Team.objects.filter(workspace=workspace).count() == 1
    assert Thread.objects.filter(workspace=workspace).count() >= 3
    client = Client()
    assert client.login(username=summary["admin_username"], password=summary["admin_password"])
    assert client.get("/inbox/").status_code == 200


def test_seed_demo_is_idempotent() -> None:
    first = _seed_json()
    counts = [model.objects.count() for model in (Workspace, Agent, Contact, Thread, Message)]
    second = _seed_json()
    assert first == second
    assert counts == [
        model.objects.count() for model in (Workspace, Agent, Contact, Thread, Message)
    ]


def test_seed_demo_takes_passwords_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "from-the-env-123")
    assert _seed_json()["admin_password"] == "from-the-env-123"
    assert Client().login(username="admin", password="from-the-env-123")


def test_generated_passwords_are_kept_for_the_next_run(credentials_file) -> None:
    first = _seed_json()
    assert json.loads(credentials_file.read_text())["admin"] == first["admin_password"]
    assert _seed_json()["admin_password"] == first["admin_password"]


def test_the_tests_leave_the_real_credentials_file_alone(credentials_file, monkeypatch) -> None:
    before = REAL_CREDENTIALS_FILE.read_bytes() if REAL_CREDENTIALS_FILE.exists() else None
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "only-in-this-test")
    _seed_json()
    after = REAL_CREDENTIALS_FILE.read_bytes() if REAL_CREDENTIALS_FILE.exists() else None
    assert before == after
    assert "only-in-this-test" in credentials_file.read_text()


def test_the_demo_signature_is_filled_with_the_sending_agents_name() -> None:
    summary = _seed_json()
    channel = EmailChannel.objects.get(pk=summary["channel_id"])
    rendered = render_signature(channel.signature_html, full_name="Alice Agent", first_name="Alice")
    assert "Alice from the Acme team" in rendered
    assert "{" not in rendered
