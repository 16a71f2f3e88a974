"""Edit > Save on a connected channel leaves the edit page for the channel list as a whole page:
an htmx post there answered HX-Location into the wizard's container, which drew the channel
list, top bar and all, inside the old page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.channels_cfg.conftest import HTMX, from_data
from tests.channels_cfg.views.test_wizard import assignment_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url_name", "data"),
    [("channels_cfg:edit", from_data), ("channels_cfg:edit_assignment", assignment_data)],
)
def test_saving_an_edit_with_htmx_loads_the_channel_list_as_a_page(
    admin_client: Client, channel, url_name, data
) -> None:
    response = admin_client.post(reverse(url_name, args=[channel.pk]), data(), **HTMX)
    assert response["HX-Redirect"] == reverse("channels_cfg:channel_list")
    assert "HX-Location" not in response
    page = admin_client.get(response["HX-Redirect"]).content.decode()
    assert "Channel settings saved." in page
    assert page.count('class="app-header"') == 1


def test_saving_an_edit_without_javascript_redirects(admin_client: Client, channel) -> None:
    response = admin_client.post(reverse("channels_cfg:edit", args=[channel.pk]), from_data())
    assert (response.status_code, response.url) == (302, reverse("channels_cfg:channel_list"))


def test_a_draft_step_still_moves_inside_the_wizard(admin_client: Client, draft) -> None:
    response = admin_client.post(
        reverse("channels_cfg:connect_from", args=[draft.pk]), from_data(), **HTMX
    )
    assert "/assignment/" in response["HX-Location"]
