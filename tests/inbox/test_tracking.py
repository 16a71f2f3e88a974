"""ESP delivery events after a reply was accepted (docs/reliability.md, "Replies that bounce
later"): a bounce or a refusal posted to anymail's tracking webhook marks the reply failed, with the
ESP's reason."""

from __future__ import annotations

import json

import pytest
from anymail.signals import AnymailTrackingEvent, EventType
from django.core import mail

from inbox.models import Message
from inbox.tracking import METADATA_KEY, delivery_failure_record
from tests.inbox.payloads import BASIC_AUTH, WEBHOOK_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_reply(agent_client, conversation, django_capture_on_commit_callbacks, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": [WEBHOOK_SECRET]}
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(f"/inbox/threads/{conversation.pk}/reply/", {"body": "On its way."})
    reply = Message.objects.get(direction=Message.Direction.OUT)
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    return reply


def post_postmark_tracking(client, payload):
    return client.post(
        "/anymail/postmark/tracking/",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )


def test_sent_reply_carries_its_tracking_tag(sent_reply):
    assert mail.outbox[0].metadata == {METADATA_KEY: str(sent_reply.pk)}


def test_postmark_bounce_event_marks_the_reply_failed_with_the_reason(client, sent_reply):
    response = post_postmark_tracking(
        client,
        {
            "RecordType": "Bounce",
            "ID": 4323372036854775807,
            "Type": "HardBounce",
            "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
            "Description": "The server was unable to deliver your message.",
            "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
            "Email": "jane@customer.example",
            "BouncedAt": "2026-11-26T10:00:00Z",
            "Metadata": {METADATA_KEY: str(sent_reply.pk)},
        },
    )
    assert response.status_code == 200
    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == Message.DeliveryStatus.FAILED
    assert "bounced" in sent_reply.delivery_error
    assert "550 5.1.1" in sent_reply.delivery_error


def test_the_failure_shows_on_the_thread_with_a_retry(client, agent_client, sent_reply):
    post_postmark_tracking(
        client,
        {
            "RecordType": "Bounce",
            "Type": "HardBounce",
            "MessageID": "x",
            "Description": "Mailbox unavailable",
            "Email": "jane@customer.example",
            "Metadata": {METADATA_KEY: str(sent_reply.pk)},
        },
    )
    page = agent_client.get(f"/inbox/threads/{sent_reply.thread_id}/").content.decode()
    assert "Mailbox unavailable" in page
    assert "Retry" in page


def test_delivered_and_opened_events_change_nothing(client, sent_reply):
    post_postmark_tracking(
        client,
        {
            "RecordType": "Delivery",
            "MessageID": "x",
            "Recipient": "jane@customer.example",
            "DeliveredAt": "2026-11-26T10:00:00Z",
            "Metadata": {METADATA_KEY: str(sent_reply.pk)},
        },
    )
    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == Message.DeliveryStatus.SENT


def test_tracking_webhook_without_credentials_is_refused(client, sent_reply):
    response = client.post(
        "/anymail/postmark/tracking/",
        data=json.dumps({"RecordType": "Bounce", "Metadata": {METADATA_KEY: str(sent_reply.pk)}}),
        content_type="application/json",
    )
    assert response.status_code == 400
    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == Message.DeliveryStatus.SENT


def test_an_event_without_our_tag_is_found_by_our_signed_message_id(sent_reply):
    # Mailgun reports the Message-ID header we set, without angle brackets.
    event = AnymailTrackingEvent(
        event_type=EventType.REJECTED,
        message_id=sent_reply.message_id.strip("<>"),
        description="Not delivering to previously bounced address",
    )
    assert delivery_failure_record(event) == sent_reply
    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == Message.DeliveryStatus.FAILED


def test_an_event_about_mail_that_is_not_ours_changes_nothing(sent_reply):
    event = AnymailTrackingEvent(
        event_type=EventType.BOUNCED, message_id="<other@elsewhere.example>"
    )
    assert delivery_failure_record(event) is None
    assert Message.objects.get(pk=sent_reply.pk).delivery_status == Message.DeliveryStatus.SENT
