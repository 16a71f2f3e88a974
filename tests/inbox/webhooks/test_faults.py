"""Faults the webhooks answer for: the database down, the broker down, an unreadable body."""

from __future__ import annotations

import pytest
from django.test import Client

from inbox.models import InboundEmail, Message
from tests.inbox.payloads import (
    BASIC_AUTH,
    fail_ledger_inserts,
    mailgun_mime_post,
    simple_message,
)

URL = "/anymail/mailgun/inbound_mime/"


@pytest.mark.django_db(transaction=True)
def test_database_down_answers_5xx_and_the_esp_retry_makes_exactly_one_message(
    forwarding_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(raise_request_exception=False)
    body, content_type = mailgun_mime_post(simple_message(), recipient=forwarding_address)

    with monkeypatch.context() as patched:
        fail_ledger_inserts(patched)
        response = client.post(
            URL, data=body, content_type=content_type, HTTP_AUTHORIZATION=BASIC_AUTH
        )
    assert response.status_code >= 500
    assert not InboundEmail.objects.exists()

    retry = client.post(URL, data=body, content_type=content_type, HTTP_AUTHORIZATION=BASIC_AUTH)
    assert retry.status_code == 200
    assert InboundEmail.objects.get().status == InboundEmail.Status.ACCEPTED
    assert Message.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_broker_down_still_answers_200_and_the_sweeper_processes_the_row_later(
    client: Client, forwarding_address: str, dead_broker: None
) -> None:
    body, content_type = mailgun_mime_post(simple_message(), recipient=forwarding_address)
    response = client.post(URL, data=body, content_type=content_type, HTTP_AUTHORIZATION=BASIC_AUTH)
    assert response.status_code == 200
    row = InboundEmail.objects.get()
    assert row.status == InboundEmail.Status.RECEIVED


@pytest.mark.django_db
def test_an_unreadable_form_body_is_a_400_not_a_500(client: Client) -> None:
    response = client.post(
        URL, data=b"garbage", content_type="multipart/form-data", HTTP_AUTHORIZATION=BASIC_AUTH
    )
    assert response.status_code == 400
    assert not InboundEmail.objects.exists()
