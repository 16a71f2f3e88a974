"""Optional allow-lists of the networks an ESP posts from (docs/reliability.md, "SendGrid and
networks we allow": SendGrid signs nothing, so basic auth is its only credential unless its
addresses are pinned too)."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client

from helpdesk.env import ImproperEnvironment, env_allowed_networks
from inbox.models import InboundEmail
from tests.inbox.payloads import BASIC_AUTH, mailgun_mime_post, sendgrid_post, simple_message

pytestmark = pytest.mark.django_db


def post_sendgrid(client: Client, recipient: str, **extra: str):
    body, content_type = sendgrid_post(simple_message(to=recipient), recipient)
    return client.post(
        "/anymail/sendgrid/inbound/",
        data=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=BASIC_AUTH,
        **extra,
    )


@pytest.fixture
def sendgrid_pinned(settings):
    settings.INBOUND_ALLOWED_NETWORKS = env_allowed_networks(
        {"INBOUND_ALLOWED_NETWORKS_SENDGRID": "203.0.113.0/24, 2001:db8::/32"}
    )


def test_a_post_from_an_allowed_network_is_stored(
    client: Client, forwarding_address: str, sendgrid_pinned
) -> None:
    assert post_sendgrid(client, forwarding_address, REMOTE_ADDR="203.0.113.9").status_code == 200
    assert InboundEmail.objects.count() == 1


def test_a_post_from_elsewhere_is_refused_before_its_body_is_read(
    client: Client, forwarding_address: str, sendgrid_pinned
) -> None:
    response = post_sendgrid(client, forwarding_address, REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 403
    assert not InboundEmail.objects.exists()


def test_other_esps_are_not_held_to_sendgrids_list(
    client: Client, forwarding_address: str, sendgrid_pinned
) -> None:
    body, content_type = mailgun_mime_post(simple_message(), recipient=forwarding_address)
    response = client.post(
        "/anymail/mailgun/inbound_mime/",
        data=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=BASIC_AUTH,
        REMOTE_ADDR="198.51.100.1",
    )
    assert response.status_code == 200


def test_behind_a_proxy_the_configured_header_names_the_client(
    client: Client, forwarding_address: str, sendgrid_pinned, settings
) -> None:
    settings.INBOUND_CLIENT_IP_HEADER = "X-Real-IP"
    proxied = {"REMOTE_ADDR": "10.0.0.2"}
    allowed = post_sendgrid(client, forwarding_address, HTTP_X_REAL_IP="2001:db8::5", **proxied)
    refused = post_sendgrid(client, forwarding_address, HTTP_X_REAL_IP="192.0.2.1", **proxied)
    missing = post_sendgrid(client, forwarding_address, **proxied)
    assert (allowed.status_code, refused.status_code, missing.status_code) == (200, 403, 403)


def test_the_variables_are_read_per_esp_and_a_bad_entry_stops_startup() -> None:
    parsed = env_allowed_networks(
        {
            "INBOUND_ALLOWED_NETWORKS_AMAZON_SES": "192.0.2.0/24",
            "INBOUND_ALLOWED_NETWORKS_SENDGRID": "",
            "UNRELATED": "x",
        }
    )
    assert parsed == {"amazon_ses": (ipaddress.ip_network("192.0.2.0/24"),)}
    with pytest.raises(ImproperEnvironment, match="INBOUND_ALLOWED_NETWORKS_POSTMARK"):
        env_allowed_networks({"INBOUND_ALLOWED_NETWORKS_POSTMARK": "not-a-network"})
