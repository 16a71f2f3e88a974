"""Every page names a favicon, and /favicon.ico (which browsers ask for anyway) leads to it: no
404 and no console error on every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_favicon_ico_redirects_to_the_svg_without_a_login(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"] == "/static/favicon.svg"
    found = finders.find("favicon.svg")
    assert found and "<svg" in Path(found).read_text()


@pytest.mark.parametrize("url", ["/login/", "/inbox/"])
def test_pages_link_the_favicon(admin_client: Client, client: Client, url: str) -> None:
    page = (admin_client if url == "/inbox/" else client).get(url).content.decode()
    assert re.search(r'<link rel="icon" href="/static/favicon.svg" type="image/svg\+xml">', page)
