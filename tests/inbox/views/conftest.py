"""Fixtures of the inbox pages: every test stores files in its own folder and keeps sent mail in
memory (the channel, `conversation` and `inbound` come from tests/inbox/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media_root(media_root):
    return media_root
