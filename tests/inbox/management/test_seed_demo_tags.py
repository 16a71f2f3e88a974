"""The demo workspace comes with a few tags on its conversations, and seeding twice adds none."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from inbox.management.commands import seed_demo
from inbox.models import Tag

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def credentials_file(tmp_path, monkeypatch):
    monkeypatch.setattr(seed_demo, "CREDENTIALS_FILE", tmp_path / "demo-credentials.json")


def test_the_demo_has_tagged_conversations_and_reseeding_is_idempotent() -> None:
    call_command("seed_demo", stdout=StringIO())
    counts = {tag.name: tag.threads.count() for tag in Tag.objects.all()}
    assert set(counts) == {"Billing", "Bug", "Shipping"}
    assert all(count > 0 for count in counts.values())
    call_command("seed_demo", stdout=StringIO())
    assert {tag.name: tag.threads.count() for tag in Tag.objects.all()} == counts
