"""Sending in a real Chromium: undo a reply in its grace period, and start a conversation with
"New email" whose answer comes back through the webhook into the same thread."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from django.core import mail

from inbox.models import Message, Thread
from tests.e2e.conftest import login
from tests.e2e.test_inbox import LIVE_TIMEOUT, PASSWORD, arrive
from tests.factories import AgentFactory, EmailChannelFactory, ForwardingAddressFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GRACE_SECONDS = 4


@pytest.fixture(autouse=True)
def _mail_and_media(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def team_agent():
    agent = AgentFactory(user__first_name="Ada", user__last_name="Lovelace")
    agent.workspace.undo_send_seconds = GRACE_SECONDS
    agent.workspace.save()
    channel = EmailChannelFactory(
        workspace=agent.workspace,
        name="Support",
        company_name="Acme",
        default_from_username="support",
        signature_html="<p>Best, {{first_name}}</p>",
    )
    return agent, channel


def test_undo_a_send_puts_the_text_back_and_nothing_goes_out(
    page, live_server, screenshot_dir, team_agent
):
    agent, channel = team_agent
    thread = arrive(channel, subject="Printer on fire", text="It started smoking.")
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    editor = page.get_by_role("textbox", name="Reply")
    editor.click()
    page.keyboard.type("Pour water on it.")
    page.get_by_role("button", name="Send", exact=True).click()

    countdown = page.locator("[data-undo-send]")
    countdown.wait_for(timeout=LIVE_TIMEOUT)
    assert re.fullmatch(r"Sending in [1-4] s", countdown.locator(".undo-send__label").inner_text())
    page.screenshot(path=str(screenshot_dir / "undo-send-countdown.png"))
    assert editor.inner_text().strip() == ""
    page.get_by_role("button", name="Undo send").click()

    page.locator("article.message--outbound").wait_for(state="detached")
    page.wait_for_function(
        "() => document.querySelector('#composer trix-editor').innerText.includes('Pour water')"
    )
    page.get_by_role("alert").filter(has_text="Reply undone: it was not sent.").wait_for()
    assert not Message.objects.filter(direction=Message.Direction.OUT).exists()
    page.screenshot(path=str(screenshot_dir / "undo-send-undone.png"))
    time.sleep(GRACE_SECONDS + 1)  # past the deadline the server's timer had
    assert mail.outbox == []

    # Sent again and left alone, it goes out when its grace period ends and the page shows it.
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator("[data-undo-send]").wait_for(timeout=LIVE_TIMEOUT)
    page.locator('[data-delivery="sent"]').wait_for(timeout=(GRACE_SECONDS + 5) * 1000)
    assert page.get_by_role("button", name="Undo send").count() == 0
    assert len(mail.outbox) == 1 and "Pour water on it." in mail.outbox[0].body

    # A closed tab changes nothing: the server sends the reply at its deadline.
    editor.click()
    page.keyboard.type("And call the fire brigade.")
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator("[data-undo-send]").wait_for(timeout=LIVE_TIMEOUT)
    page.close()
    deadline = time.monotonic() + GRACE_SECONDS + 10
    while len(mail.outbox) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(mail.outbox) == 2 and "call the fire brigade" in mail.outbox[1].body


def test_a_new_email_and_its_answer_through_the_webhook_share_a_thread(
    page, live_server, settings, screenshot_dir, team_agent, client
):
    agent, channel = team_agent
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ["hook:secret"]}
    address = ForwardingAddressFactory(channel=channel)
    login(page, live_server, agent.user.username, PASSWORD)
    page.get_by_role("link", name="New email").click()
    page.wait_for_url("**/inbox/new/")
    page.get_by_label("To", exact=True).fill("jane@customer.example")
    page.get_by_label("Subject").fill("Your replacement printer")
    page.get_by_label("Message").fill("It ships tomorrow.")
    page.screenshot(path=str(screenshot_dir / "new-email.png"))
    page.get_by_role("button", name="Send").click()

    page.wait_for_url(re.compile(r".*/inbox/threads/\d+/$"))
    page.locator('[data-delivery="sent"]').wait_for(timeout=LIVE_TIMEOUT)
    ours = Message.objects.get(direction=Message.Direction.OUT)
    assert mail.outbox[0].to == ["jane@customer.example"]
    raw = (
        "From: Jane Doe <jane@customer.example>\r\n"
        f"To: {address.address}\r\nSubject: Re: Your replacement printer\r\n"
        "Message-ID: <answer@customer.example>\r\n"
        f"In-Reply-To: {ours.message_id}\r\nReferences: {ours.message_id}\r\n"
        "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nGreat, thank you!\r\n"
    )
    payload = {
        "OriginalRecipient": address.address,
        "To": address.address,
        "From": "jane@customer.example",
        "FromFull": {"Email": "jane@customer.example", "Name": "Jane Doe"},
        "Subject": "Re: Your replacement printer",
        "Headers": [],
        "RawEmail": raw,
        "MessageID": "answer-1",
    }
    response = client.post(
        "/anymail/postmark/inbound/",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hook:secret").decode(),
    )
    assert response.status_code == 200
    page.locator("#messages").get_by_text("Great, thank you!").wait_for(timeout=LIVE_TIMEOUT)
    assert Thread.objects.count() == 1
    assert Message.objects.get(message_id="<answer@customer.example>").thread_id == ours.thread_id
    page.screenshot(path=str(screenshot_dir / "new-email-answered.png"), full_page=True)


def test_forward_a_message_from_its_menu(page, live_server, screenshot_dir, team_agent):
    agent, channel = team_agent
    thread = arrive(channel, subject="Printer on fire", text="It started smoking.")
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    page.get_by_role("link", name="Forward this message").click()
    to = page.get_by_label("To", exact=True)
    to.wait_for()
    assert to.evaluate("element => element === document.activeElement")
    to.fill("expert@partner.example")
    page.get_by_label("Note to the recipient").fill("Can you take a look?")
    page.screenshot(path=str(screenshot_dir / "forward-form.png"))
    page.get_by_role("button", name="Forward", exact=True).click()

    page.get_by_text("Forwarding to expert@partner.example").wait_for()
    forward = page.locator("article.message--outbound")
    forward.locator(".badge", has_text="Forward").wait_for()
    page.locator('[data-delivery="sent"]').wait_for(timeout=LIVE_TIMEOUT)
    assert mail.outbox[0].to == ["expert@partner.example"]
    assert "Can you take a look?" in mail.outbox[0].body


def test_the_sending_pages_pass_axe(audited, live_server, team_agent):
    """The new email page (with an error shown), the forward page and the setting, by axe-core."""
    from helpdesk.models import Agent
    from tests.e2e.axe import assert_accessible

    agent, channel = team_agent
    Agent.objects.filter(pk=agent.pk).update(role=Agent.Role.ADMIN)
    thread = arrive(channel, subject="Printer on fire", text="It started smoking.")
    page = audited
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/new/")
    page.get_by_label("To", exact=True).fill("not-an-address")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("“not-an-address” in To is not an email address.").wait_for()
    assert_accessible(page, "new email with an error")
    message = thread.messages.get()
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/messages/{message.pk}/forward/")
    assert_accessible(page, "forward page")
    page.goto(f"{live_server.url}/inbox/sending-settings/")
    assert_accessible(page, "sending settings")
