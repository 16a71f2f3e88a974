"""The wizard's first screen: "Select Other email account" goes straight on (the card is a
submit button, no Start click, no JavaScript needed); a draft can be discarded from
"Continue where you left off", after a confirmation."""

from __future__ import annotations

import re

import pytest

from channels_cfg.models import EmailChannel, ForwardingAddress
from channels_cfg.services.wizard import channel_draft_discard
from helpdesk.refusals import Refused
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

CONNECT = "/settings/channels/connect/"


def test_other_email_account_is_a_submit_button_and_there_is_no_start(admin_client):
    page = admin_client.get(CONNECT).content.decode()
    buttons = re.findall(r"<button([^>]*)>(.*?)</button>", page, re.S)
    card = [attributes for attributes, text in buttons if "Other email account" in text]
    assert card and 'type="submit"' in card[0]
    assert not re.search(r">\s*Start\s*<", page)
    form = re.search(r'<form method="post" action="([^"]+)" class="connect-start"', page)
    assert form and form[1] == CONNECT


def test_choosing_other_email_account_opens_the_first_step(admin_client, admin_agent):
    response = admin_client.post(CONNECT, {"channel_type": "team_email", "email_kind": "other"})
    draft = EmailChannel.objects.get(workspace=admin_agent.workspace)
    assert draft.status == EmailChannel.Status.DRAFT
    assert response.status_code == 302
    assert response["Location"] == f"/settings/channels/connect/{draft.pk}/from/"


def test_a_draft_has_discard_which_asks_first(admin_client, draft):
    page = admin_client.get(CONNECT).content.decode()
    assert "Continue where you left off" in page
    assert f'data-dialog-open="discard-{draft.pk}"' in page
    # Without JavaScript the link shows the confirmation as an open dialog.
    page = admin_client.get(CONNECT, {"discard": draft.pk}).content.decode()
    assert re.search(rf'<dialog id="discard-{draft.pk}"[^>]* open>', page)
    assert f'action="/settings/channels/connect/{draft.pk}/discard/"' in page


def test_discard_deletes_the_draft_and_its_forwarding_address(admin_client, draft):
    address = draft.forwarding_address.address
    response = admin_client.post(f"/settings/channels/connect/{draft.pk}/discard/", follow=True)
    assert response.redirect_chain[-1][0] == CONNECT
    assert not EmailChannel.objects.filter(pk=draft.pk).exists()
    assert not ForwardingAddress.objects.filter(address=address).exists()
    assert "Continue where you left off" not in response.content.decode()
    assert "discarded" in response.content.decode()


def test_discard_is_a_post_and_only_for_drafts(admin_client, draft, channel):
    assert admin_client.get(f"/settings/channels/connect/{draft.pk}/discard/").status_code == 405
    admin_client.post(f"/settings/channels/connect/{channel.pk}/discard/")
    assert EmailChannel.objects.filter(pk=channel.pk).exists()
    with pytest.raises(Refused):
        channel_draft_discard(channel=channel)


def test_another_workspace_cannot_discard_a_draft(client, draft):
    client.force_login(AdminFactory().user)
    assert client.post(f"/settings/channels/connect/{draft.pk}/discard/").status_code == 404
    assert EmailChannel.objects.filter(pk=draft.pk).exists()
