"""Forwarding a message or a whole thread: sent by the reply task with a note on top and the
attachments, recorded in the timeline, and answered back into the same thread."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from helpdesk.mail_ids import thread_id_from_message_id
from helpdesk.refusals import Refused
from inbox.models import Message, Thread, ThreadEvent
from inbox.services import forwarding, outbound
from tests.factories import ForwardingAddressFactory
from tests.inbox.conftest import inbound
from tests.inbox.payloads import WEBHOOK_SECRET, post_to_mailgun, simple_message

pytestmark = pytest.mark.django_db


def _first(conversation) -> Message:
    return conversation.messages.order_by("created_at", "id").first()


def _forward(conversation, agent, capture, **fields) -> Message:
    with capture(execute=True):
        return forwarding.message_forward(
            message=_first(conversation), agent=agent, to="expert@partner.example", **fields
        )


def test_forward_a_message_with_a_note_and_its_attachments(
    conversation, agent, django_capture_on_commit_callbacks
):
    forward = _forward(
        conversation, agent, django_capture_on_commit_callbacks, note="Can you help here?"
    )
    assert forward.is_forward and forward.thread_id == conversation.pk
    sent = mail.outbox[0]
    assert sent.to == ["expert@partner.example"]
    assert sent.subject == "Fwd: Printer on fire"
    assert "In-Reply-To" not in sent.extra_headers
    assert thread_id_from_message_id(sent.extra_headers["Message-ID"]) == conversation.pk
    text = sent.body
    assert text.index("Can you help here?") < text.index(forwarding.SEPARATOR)
    assert "From: Jane Doe <jane@customer.example>" in text
    assert "It started smoking" in text
    assert f"Cheers, {agent.first_name}" in text
    html = sent.alternatives[0][0]
    assert "It started <b>smoking</b>" in html
    assert [name for name, _content, _type in sent.attachments] == ["report.html"]
    event = ThreadEvent.objects.get(thread=conversation, kind=ThreadEvent.Kind.FORWARDED)
    assert event.actor_id == agent.user_id
    assert event.data == {
        "to": ["expert@partner.example"],
        "message_ids": [_first(conversation).pk],
        "forward_id": forward.pk,
        "whole_thread": False,
    }
    assert Thread.objects.get(pk=conversation.pk).message_count == 2


def test_forward_the_whole_thread_oldest_first(
    conversation, agent, django_capture_on_commit_callbacks
):
    inbound(conversation, text="Now the scanner too", created_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        outbound.reply_create(thread=conversation, agent=agent, body_text="Unplug both")
    _forward(conversation, agent, django_capture_on_commit_callbacks, whole_thread=True)
    body = mail.outbox[-1].body
    positions = [body.index(t) for t in ("It started smoking", "Now the scanner", "Unplug both")]
    assert positions == sorted(positions)
    assert body.count(forwarding.SEPARATOR) == 3
    event = ThreadEvent.objects.get(kind=ThreadEvent.Kind.FORWARDED)
    assert len(event.data["message_ids"]) == 3 and event.data["whole_thread"] is True


def test_the_next_reply_to_the_customer_does_not_reference_the_forward(
    conversation, agent, django_capture_on_commit_callbacks
):
    forward = _forward(conversation, agent, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        outbound.reply_create(thread=conversation, agent=agent, body_text="Sorted")
    reply = mail.outbox[-1]
    assert reply.to == ["jane@customer.example"]
    assert forward.message_id not in reply.extra_headers["References"]


@pytest.mark.parametrize(
    ("to", "sentence"), [("", "Add the address"), ("expert@", "“expert@” in To")]
)
def test_a_forward_without_a_valid_address_is_refused(
    conversation, agent, to, sentence, django_capture_on_commit_callbacks
):
    with pytest.raises(Refused, match=sentence), django_capture_on_commit_callbacks(execute=True):
        forwarding.message_forward(message=_first(conversation), agent=agent, to=to)
    assert mail.outbox == [] and not ThreadEvent.objects.exists()


def test_attachments_over_the_limit_are_refused(
    conversation, agent, settings, django_capture_on_commit_callbacks
):
    settings.INBOX_MAX_ATTACHMENTS_BYTES = 10
    with pytest.raises(Refused, match="exceed"):
        _forward(conversation, agent, django_capture_on_commit_callbacks)
    assert not Message.objects.filter(is_forward=True).exists()


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("Printer", "Fwd: Printer"), ("Fwd: Printer", "Fwd: Printer"), ("FW: x", "FW: x")],
)
def test_forward_subject(subject, expected):
    assert forwarding.forward_subject(subject) == expected


def test_an_answer_to_the_forward_threads_back_through_the_webhook(
    conversation, agent, channel, client, settings, django_capture_on_commit_callbacks
):
    settings.ANYMAIL = {"WEBHOOK_SECRET": [WEBHOOK_SECRET], "MAILGUN_WEBHOOK_SIGNING_KEY": "k"}
    address = ForwardingAddressFactory(channel=channel).address
    forward = _forward(conversation, agent, django_capture_on_commit_callbacks)
    answer = simple_message(
        to=address,
        sender="Expert <expert@partner.example>",
        subject="Re: Fwd: Printer on fire",
        body="Use a fire extinguisher.",
        extra_headers={"In-Reply-To": forward.message_id, "References": forward.message_id},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post_to_mailgun(client, answer, recipient=address, signing_key="k")
    assert response.status_code == 200
    answer_message = Message.objects.get(from_email="expert@partner.example")
    assert answer_message.thread_id == conversation.pk
    assert Thread.objects.count() == 1
