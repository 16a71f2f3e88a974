"""New outbound email: a conversation an agent starts, sent by the reply task, answered back into
the same thread through the inbound webhook."""

from __future__ import annotations

from email.utils import parseaddr

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk.mail_ids import thread_id_from_message_id
from helpdesk.refusals import Refused
from inbox.models import Contact, Message, Thread, Ticket
from inbox.outbound.compose import address_list
from inbox.services import compose_new
from tests.factories import (
    ContactFactory,
    EmailChannelFactory,
    ForwardingAddressFactory,
    WorkspaceFactory,
)
from tests.inbox.payloads import WEBHOOK_SECRET, post_to_mailgun, simple_message

pytestmark = pytest.mark.django_db


def _email(**fields) -> compose_new.NewEmail:
    values = {
        "to": "jane@customer.example",
        "cc": "",
        "subject": "Your order 1234",
        "body_text": "Your parcel left today.",
    }
    return compose_new.NewEmail(**{**values, **fields})


def _send(agent, channel, capture, files=None, **fields) -> Message:
    with capture(execute=True):
        return compose_new.new_email_send(
            agent=agent, channel=channel, email=_email(**fields), files=files
        )


def test_a_new_email_starts_a_thread_sent_from_the_channel(
    agent, channel, media_root, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("invoice.txt", b"42 EUR", content_type="text/plain")
    message = _send(
        agent,
        channel,
        django_capture_on_commit_callbacks,
        files=[upload],
        to="Jane <Jane@Customer.example>, joe@customer.example",
        cc="boss@customer.example, jane@customer.example",
    )
    thread = Thread.objects.get(pk=message.thread_id)
    assert thread.subject == "Your order 1234" and thread.channel == channel
    assert thread.contact.email == "jane@customer.example"
    assert thread.assignee_id == agent.user_id and thread.message_count == 1
    assert Ticket.objects.get(thread=thread).status == "waiting_on_contact"
    assert message.delivery_status == Message.DeliveryStatus.SENDING
    sent = mail.outbox[0]
    assert Message.objects.get(pk=message.pk).delivery_status == Message.DeliveryStatus.SENT
    domain = channel.workspace.hosted_domain
    assert parseaddr(sent.from_email) == (f"{agent.full_name} at Acme", f"support@{domain}")
    assert sent.to == ["jane@customer.example", "joe@customer.example"]
    assert sent.cc == ["boss@customer.example"]
    assert sent.subject == "Your order 1234"
    assert "In-Reply-To" not in sent.extra_headers
    assert thread_id_from_message_id(sent.extra_headers["Message-ID"]) == thread.pk
    assert f"Cheers, {agent.first_name}" in sent.body
    assert sent.attachments[0][0] == "invoice.txt"


def test_an_existing_contact_is_matched_by_address(
    agent, channel, django_capture_on_commit_callbacks
):
    known = ContactFactory(workspace=agent.workspace, email="jane@customer.example", name="Jane")
    message = _send(agent, channel, django_capture_on_commit_callbacks, to="JANE@customer.example")
    assert message.thread.contact_id == known.pk
    assert Contact.objects.filter(workspace=agent.workspace).count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "sentence"),
    [
        ({"to": ""}, "to", "Add the address"),
        ({"to": "jane@customer.example, not an address"}, "to", "“not an address” in To"),
        ({"cc": "boss@"}, "cc", "“boss@” in Cc"),
        ({"to": "a@x.example\nBcc: b@y.example"}, "to", "addresses only"),
        ({"subject": "  "}, "subject", "Write a subject"),
        ({"body_text": " \n "}, "body", "Write a message"),
    ],
)
def test_what_cannot_be_sent_is_refused_with_its_field(
    agent, channel, fields, field, sentence, django_capture_on_commit_callbacks
):
    with pytest.raises(Refused, match=sentence) as refused:
        _send(agent, channel, django_capture_on_commit_callbacks, **fields)
    assert refused.value.field == field
    assert not Thread.objects.exists() and mail.outbox == []


def test_only_a_connected_channel_of_the_workspace_sends(agent, django_capture_on_commit_callbacks):
    foreign = EmailChannelFactory(workspace=WorkspaceFactory())
    draft = EmailChannelFactory(workspace=agent.workspace, status="draft")
    for channel in (foreign, draft):
        with pytest.raises(Refused, match="connected channel"):
            _send(agent, channel, django_capture_on_commit_callbacks)
    assert not Thread.objects.exists()
    assert compose_new.sending_channels(agent=agent) == []


def test_the_customers_answer_threads_back_through_the_webhook(
    agent, channel, client, settings, django_capture_on_commit_callbacks
):
    settings.ANYMAIL = {"WEBHOOK_SECRET": [WEBHOOK_SECRET], "MAILGUN_WEBHOOK_SIGNING_KEY": "k"}
    address = ForwardingAddressFactory(channel=channel).address
    message = _send(agent, channel, django_capture_on_commit_callbacks)
    answer = simple_message(
        to=address,
        sender="Jane <jane@customer.example>",
        subject="Re: Your order 1234",
        body="Thanks, it arrived!",
        extra_headers={"In-Reply-To": message.message_id, "References": message.message_id},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post_to_mailgun(client, answer, recipient=address, signing_key="k")
    assert response.status_code == 200
    assert Thread.objects.count() == 1
    received = Message.objects.get(direction=Message.Direction.IN)
    assert received.thread_id == message.thread_id
    assert received.in_reply_to == message.message_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a@x.example", ["a@x.example"]),
        ('"Doe, Jane" <Jane@X.example>; b@y.example', ["jane@x.example", "b@y.example"]),
        ("a@x.example, a@x.example,, ", ["a@x.example"]),
        ("", []),
    ],
)
def test_address_lists(value, expected):
    assert address_list(value, label="To", field="to") == expected


def test_address_list_caps_the_number_of_recipients():
    many = ", ".join(f"p{n}@x.example" for n in range(21))
    with pytest.raises(Refused, match="at most 20"):
        address_list(many, label="To", field="to")


def test_rich_text_and_pasted_images_go_as_in_a_reply(
    agent, channel, media_root, django_capture_on_commit_callbacks
):
    import base64

    from tests.image_host import PNG

    png = base64.b64encode(PNG).decode()
    _send(
        agent,
        channel,
        django_capture_on_commit_callbacks,
        body_html=f'<p>It <b>ships</b> today</p><img src="data:image/png;base64,{png}">'
        "<script>x()</script>",
        body_text="It ships today",
    )
    sent = mail.outbox[0].message().as_string()
    html = mail.outbox[0].alternatives[0][0]
    assert "<b>ships</b>" in html and "<script" not in html and 'src="cid:' in html
    assert "multipart/related" in sent and "Content-ID: <image-1." in sent
