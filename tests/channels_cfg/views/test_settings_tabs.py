"""The Inbox settings tabs share one header: the same breadcrumb on every tab, the current tab
marked, the page's title last in the breadcrumb."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

TABS = {
    "/settings/channels/": "Channels",
    "/settings/rejected/": "Rejected mail",
    "/settings/blocked/": "Blocked senders",
}


def breadcrumb(page: str) -> str:
    found = re.search(r'<p class="breadcrumb">(.*?)</p>', page, re.S)
    assert found, "no breadcrumb"
    return re.sub(r"\s+", " ", found[1]).strip()


@pytest.mark.parametrize(("url", "title"), TABS.items())
def test_every_settings_tab_has_the_same_breadcrumb(admin_client, url, title):
    page = admin_client.get(url).content.decode()
    separator = "\u203a"  # the breadcrumb separator, a single right-pointing angle quote
    assert breadcrumb(page) == separator.join(
        [
            '<a href="/inbox/">Inbox</a> ',
            ' <a href="/settings/channels/">Inbox settings</a> ',
            f" {title}",
        ]
    )
    assert re.search(rf'<a href="{url}" aria-current="page">{title}</a>', page)
    assert page.count('class="settings-tabs"') == 1
