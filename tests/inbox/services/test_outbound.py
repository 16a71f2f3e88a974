"""Replies: stored at once, sent once by the task with the team's From, signature and threading."""

from __future__ import annotations

import json
from email.utils import parseaddr
from unittest import mock

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk.mail_ids import LOOP_HEADER, loop_header_value, thread_id_from_message_id
from inbox.models import Message
from inbox.services import outbound
from inbox.tasks import send_message
from tests.inbox.conftest import inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(django_capture_on_commit_callbacks):
    """Post the composer and run what the transaction queued (the send task, eagerly)."""

    def post(client, thread, headers=None, **data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/inbox/threads/{thread.pk}/reply/",
                {"body": "Have you tried water?", **data},
                headers=headers or {},
            )

    return post


def test_reply_is_sent_from_the_channel_with_signature_and_threading(
    reply, agent_client, agent, conversation, django_capture_on_commit_callbacks
):
    later = inbound(conversation, message_id="<second@customer.example>", text="Hello?")
    response = reply(agent_client, conversation)
    assert response.status_code == 302
    message = Message.objects.get(direction=Message.Direction.OUT)
    assert message.delivery_status == Message.DeliveryStatus.SENT
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    domain = conversation.workspace.hosted_domain
    assert parseaddr(sent.from_email) == (f"{agent.full_name} at Acme", f"support@{domain}")
    assert f"From: {agent.full_name} at Acme <support@{domain}>" in str(sent.message())
    assert sent.to == ["jane@customer.example"]
    assert sent.subject == "Re: Printer on fire"
    headers = sent.extra_headers
    assert headers["Message-ID"] == message.message_id
    assert thread_id_from_message_id(headers["Message-ID"]) == conversation.pk
    assert headers["In-Reply-To"] == later.message_id
    assert headers["References"] == "<first@customer.example> <second@customer.example>"
    assert headers[LOOP_HEADER] == loop_header_value()
    assert "Auto-Submitted" not in str(sent.message())
    assert f"Cheers, {agent.first_name}" in sent.body
    assert f"{agent.full_name}, Acme support" in sent.alternatives[0][0]
    conversation.refresh_from_db()
    assert conversation.message_count == 3 and conversation.snippet.startswith("Have you tried")


def test_company_from_name_mode(reply, agent_client, conversation, channel):
    channel.from_name_mode = channel.FromNameMode.COMPANY
    channel.save()
    reply(agent_client, conversation)
    assert mail.outbox[0].from_email.startswith("Acme <")


def test_message_id_is_the_same_on_every_attempt(conversation, agent):
    message = outbound.reply_create(thread=conversation, agent=agent, body_text="Hi")
    again = outbound.build_email(Message.objects.get(pk=message.pk))
    assert again.extra_headers["Message-ID"] == message.message_id
    assert str(message.pk) in message.message_id


def test_reply_appears_as_sending_before_the_task_runs(
    agent_client, conversation, django_capture_on_commit_callbacks
):
    with (
        mock.patch("inbox.tasks.send_message.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        agent_client.post(f"/inbox/threads/{conversation.pk}/reply/", {"body": "Hi"})
    message = Message.objects.get(direction=Message.Direction.OUT)
    delay.assert_called_once_with(message.pk)
    assert message.delivery_status == Message.DeliveryStatus.SENDING
    html = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "Sending…" in html and 'hx-trigger="every 2s"' in html


def test_a_failed_send_shows_retry_and_a_retry_sends_once(
    reply, agent_client, conversation, django_capture_on_commit_callbacks
):
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=ConnectionRefusedError("smtp down"),
    ):
        reply(agent_client, conversation)
    message = Message.objects.get(direction=Message.Direction.OUT)
    assert message.delivery_status == Message.DeliveryStatus.FAILED
    assert "smtp down" in message.delivery_error
    html = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "Not delivered" in html and "Retry" in html
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(f"/inbox/messages/{message.pk}/retry/")
    message.refresh_from_db()
    assert message.delivery_status == Message.DeliveryStatus.SENT
    assert len(mail.outbox) == 1
    # Retrying a sent message, or running the task again, never sends a second mail.
    agent_client.post(f"/inbox/messages/{message.pk}/retry/")
    assert send_message(message.pk) == "skipped"
    assert len(mail.outbox) == 1
    assert Message.objects.get(pk=message.pk).delivery_attempts == 2


def test_a_redelivered_task_does_not_send_while_another_holds_the_claim(conversation, agent):
    with mock.patch("inbox.tasks.send_message.delay"):
        message = outbound.reply_create(thread=conversation, agent=agent, body_text="Hi")
    from django.utils import timezone

    Message.objects.filter(pk=message.pk).update(send_started_at=timezone.now())
    assert send_message(message.pk) == "skipped"
    assert mail.outbox == []


def test_a_claim_abandoned_by_a_dead_worker_is_taken_over(conversation, agent):
    from datetime import timedelta

    from django.utils import timezone

    with mock.patch("inbox.tasks.send_message.delay"):
        message = outbound.reply_create(thread=conversation, agent=agent, body_text="Hi")
    stale = timezone.now() - outbound.STALE_CLAIM - timedelta(seconds=1)
    Message.objects.filter(pk=message.pk).update(send_started_at=stale)
    assert send_message(message.pk) == "sent"
    assert len(mail.outbox) == 1


def test_an_empty_reply_is_refused(reply, agent_client, conversation):
    response = reply(agent_client, conversation, body="   ")
    assert response.status_code == 302
    assert not Message.objects.filter(direction=Message.Direction.OUT).exists()


def test_an_empty_reply_over_htmx_shows_the_error_beside_the_composer(
    reply, agent_client, conversation
):
    response = reply(agent_client, conversation, body="", headers={"HX-Request": "true"})
    assert "Write a reply before sending." in response.content.decode()
    assert "HX-Trigger" not in response


def test_htmx_reply_triggers_the_thread_poller(reply, agent_client, conversation):
    response = reply(agent_client, conversation, headers={"HX-Request": "true"})
    assert json.loads(response["HX-Trigger"]) == {"inbox-sent": {}}


def test_composer_html_is_sanitized(reply, agent_client, conversation):
    reply(
        agent_client,
        conversation,
        body_html='<p onclick="x()">Hi <b>there</b><script>bad()</script></p>',
    )
    message = Message.objects.get(direction=Message.Direction.OUT)
    assert message.html.startswith("<p>Hi <b>there</b></p>")
    assert "script" not in message.html and "onclick" not in message.html
    assert message.text.startswith("Hi there")


def test_attachments_are_sent_and_size_limited(reply, agent_client, conversation, settings):
    settings.INBOX_MAX_ATTACHMENTS_BYTES = 10
    small = SimpleUploadedFile("a.txt", b"12345", content_type="text/plain")
    reply(agent_client, conversation, attachments=[small])
    assert mail.outbox[0].attachments[0][0] == "a.txt"
    big = SimpleUploadedFile("b.txt", b"x" * 11, content_type="text/plain")
    reply(agent_client, conversation, attachments=[big])
    assert Message.objects.filter(direction=Message.Direction.OUT).count() == 1


def test_composer_shows_from_exactly_and_the_signature(agent_client, agent, conversation):
    html = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    domain = conversation.workspace.hosted_domain
    assert f"{agent.full_name} at Acme &lt;support@{domain}&gt;" in html
    assert f"Cheers, {agent.first_name}" in html


def test_control_characters_never_reach_the_from_header(reply, agent_client, conversation, channel):
    channel.company_name = "Acme\r\nBcc: victim@example.com"
    channel.save()
    reply(agent_client, conversation)
    assert "\n" not in mail.outbox[0].from_email
    assert "Bcc" not in str(mail.outbox[0].message()).split("\n\n")[0].replace("AcmeBcc", "")


def test_a_send_timeout_is_never_resent_automatically(conversation, agent):
    """docs/reliability.md, "A send that times out": the ESP may have accepted the mail before
    timing out."""
    with mock.patch("inbox.tasks.send_message.delay"):
        message = outbound.reply_create(thread=conversation, agent=agent, body_text="Hi")
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=TimeoutError("read timed out"),
    ) as send:
        assert send_message(message.pk) == "failed"
        # The broker redelivers the task (acks_late, worker lost): it must not send again.
        assert send_message(message.pk) == "skipped"
    assert send.call_count == 1
    message.refresh_from_db()
    assert message.delivery_status == Message.DeliveryStatus.FAILED
    assert "may have been delivered" in message.delivery_error


def test_a_reply_never_picked_up_can_be_sent_again_once(
    agent_client, conversation, agent, django_capture_on_commit_callbacks
):
    """Its on-commit callback was lost (docs/reliability.md, "A send that times out"): the agent
    sees Send again."""
    from datetime import timedelta

    from django.utils import timezone

    with mock.patch("inbox.tasks.send_message.delay"):
        message = outbound.reply_create(
            thread=conversation,
            agent=agent,
            body_text="Hi",
            now=timezone.now() - timedelta(minutes=10),
        )
    html = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "Send again" in html
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(f"/inbox/messages/{message.pk}/retry/")
        agent_client.post(f"/inbox/messages/{message.pk}/retry/")
    assert len(mail.outbox) == 1
    assert Message.objects.get(pk=message.pk).delivery_status == Message.DeliveryStatus.SENT


def test_a_fresh_sending_reply_offers_no_retry(agent_client, conversation, agent):
    with mock.patch("inbox.tasks.send_message.delay") as delay:
        message = outbound.reply_create(thread=conversation, agent=agent, body_text="Hi")
        assert outbound.message_retry(message=message) is False
    assert delay.call_count == 0
    assert (
        "Send again" not in agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    )


def test_a_reply_copies_the_cc_addresses(reply, agent_client, conversation):
    response = reply(
        agent_client,
        conversation,
        cc=(
            '"Boss, The" <Boss@Customer.example>; x@partner.example, jane@customer.example, '
            "x@partner.example"
        ),
    )
    assert response.status_code == 302
    sent = mail.outbox[-1]
    # The contact is already the To; repeats and case go.
    assert sent.to == ["jane@customer.example"]
    assert sent.cc == ["boss@customer.example", "x@partner.example"]
    message = Message.objects.get(direction="out")
    assert message.cc == "boss@customer.example, x@partner.example"
    page = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "cc boss@customer.example, x@partner.example" in page


@pytest.mark.parametrize(
    ("cc", "error"),
    [
        (
            "boss@customer.example, not an address",
            "“not an address” in Cc is not an email address.",
        ),
        ("a@b.example\r\nBcc: spy@evil.example", "Cc may hold addresses only"),
        (", ".join(f"p{n}@x.example" for n in range(21)), "at most 20 addresses"),
    ],
)
def test_a_bad_cc_is_refused_with_the_reason_and_nothing_is_sent(
    reply, agent_client, conversation, cc, error
):
    response = reply(agent_client, conversation, cc=cc, headers={"HX-Request": "true"})
    assert error in response.content.decode()
    assert not Message.objects.filter(direction="out").exists() and mail.outbox == []


def test_the_composer_starts_with_the_customers_cc_minus_our_addresses(
    agent_client, conversation, channel
):
    inbound(
        conversation,
        attributed_via="from_header",
        cc=(
            f"Boss <boss@customer.example>, {channel.from_address}, "
            "jane@customer.example, team-1@acme.inbox.localhost"
        ),
    )
    page = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert 'name="cc" type="text" value="boss@customer.example"' in page


def test_the_composer_cc_is_empty_after_a_forward(agent_client, conversation):
    # The conversation fixture's mail was forwarded by an agent: its Cc is the forwarder's.
    conversation.messages.update(cc="colleague@acme.example")
    page = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert 'name="cc" type="text" value=""' in page
