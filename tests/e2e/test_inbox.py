"""The agents' inbox in a real Chromium: live updates, assignment, a reply that goes out right,
and hostile mail that can do nothing."""

from __future__ import annotations

import base64
import json
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.utils import timezone

from inbox.models import Attachment, Message
from tests.e2e.conftest import login, settled
from tests.factories import (
    AgentFactory,
    ContactFactory,
    EmailChannelFactory,
    ForwardingAddressFactory,
    MessageFactory,
    ThreadFactory,
)
from tests.image_host import PNG

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
HOSTILE = (Path(__file__).resolve().parents[1] / "inbox" / "fixtures" / "hostile.html").read_text()
# An image's width once it has loaded (0 if it failed).
LOADED_WIDTH = (
    "img => new Promise(done => img.complete ? done(img.naturalWidth) : "
    "(img.onload = img.onerror = () => done(img.naturalWidth)))"
)
# Live polling runs every 5 s; give it two rounds.
LIVE_TIMEOUT = 15_000


@pytest.fixture(autouse=True)
def _mail_and_media(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def team_agent():
    agent = AgentFactory(user__first_name="Ada", user__last_name="Lovelace")
    channel = EmailChannelFactory(
        workspace=agent.workspace,
        company_name="Acme",
        default_from_username="support",
        signature_html="<p>Best, {{first_name}}</p><p>{{full_name}} · Acme support</p>",
    )
    return agent, channel


def arrive(channel, *, subject: str, text: str, thread=None, message_id: str = ""):
    """What the pipeline leaves behind: a message on a (new) thread, the thread bumped."""
    now = timezone.now()
    if thread is None:
        contact = ContactFactory(
            workspace=channel.workspace, email="jane@customer.example", name="Jane Doe"
        )
        thread = ThreadFactory(
            workspace=channel.workspace,
            channel=channel,
            contact=contact,
            subject=subject,
            snippet=text[:200],
            last_message_at=now,
            message_count=0,
        )
    MessageFactory(
        thread=thread,
        text=text,
        from_email=thread.contact.email,
        from_name=thread.contact.name,
        message_id=message_id or f"<{now.timestamp()}@customer.example>",
        created_at=now,
    )
    thread.last_message_at = now
    thread.message_count += 1
    thread.snippet = text[:200]
    thread.save()
    return thread


def test_agent_sees_a_thread_arrive_live_assigns_and_replies(
    page, live_server, screenshot_dir, team_agent
):
    agent, channel = team_agent
    login(page, live_server, agent.user.username, PASSWORD)
    assert page.get_by_role("heading", name="No conversations yet").is_visible()

    thread = arrive(
        channel,
        subject="Printer on fire",
        text="It started smoking this morning.",
        message_id="<first@customer.example>",
    )
    row = page.locator(f'[data-thread-id="{thread.pk}"]')
    row.wait_for(timeout=LIVE_TIMEOUT)
    assert "Printer on fire" in row.inner_text() and "Jane Doe" in row.inner_text()
    assert page.locator('[data-view-count="unassigned"]').inner_text() == "1"
    page.screenshot(path=str(screenshot_dir / "inbox-live-thread.png"))

    row.get_by_role("link").click()
    page.wait_for_url(f"**/inbox/threads/{thread.pk}/**")
    page.get_by_role("button", name="Assign to me").click()
    page.get_by_test_id("assignee").filter(has_text="Ada Lovelace").wait_for()
    thread.refresh_from_db()
    assert thread.assignee_id == agent.user_id

    from_line = page.get_by_test_id("from-display").inner_text()
    assert from_line == f"Ada Lovelace at Acme <support@{channel.workspace.hosted_domain}>"
    editor = page.get_by_role("textbox", name="Reply")
    editor.click()
    page.keyboard.type("Please step away from the printer. ")
    page.get_by_role("button", name="Bold").click()
    page.keyboard.type("Now.")

    # A new message lands while the agent is typing: it appears, the draft stays.
    arrive(channel, subject="", text="Also the fax is beeping.", thread=thread)
    page.locator("#messages").get_by_text("Also the fax is beeping.").wait_for(timeout=LIVE_TIMEOUT)
    assert "Please step away from the printer." in editor.inner_text()

    page.get_by_role("button", name="Send").click()
    # It came after the composer opened: the send is held (the collision guard) until confirmed.
    page.get_by_role("button", name="Send anyway").click()
    page.locator('[data-delivery="sent"]').wait_for(timeout=LIVE_TIMEOUT)
    assert editor.inner_text().strip() == ""
    page.screenshot(path=str(screenshot_dir / "inbox-replied.png"), full_page=True)

    assert len(mail.outbox) == 1
    sent = mail.outbox[0].message()
    reply = Message.objects.get(direction=Message.Direction.OUT)
    assert sent["From"] == f"Ada Lovelace at Acme <support@{channel.workspace.hosted_domain}>"
    assert sent["To"] == "jane@customer.example"
    assert sent["Message-ID"] == reply.message_id
    assert sent["In-Reply-To"] == reply.in_reply_to != ""
    assert sent["References"].startswith("<first@customer.example>")
    assert sent["Auto-Submitted"] is None and sent["X-Loop"]
    parsed = message_from_bytes(sent.as_bytes(), policy=policy.default)
    bodies = [part.get_content() for part in parsed.walk() if not part.is_multipart()]
    assert any("Best, Ada" in body and "Ada Lovelace · Acme support" in body for body in bodies)
    # The editor (Trix) writes bold as <strong>.
    assert any("<strong>Now.</strong>" in body for body in bodies)


def test_hostile_mail_runs_no_script_and_makes_no_request(
    page, live_server, screenshot_dir, team_agent
):
    agent, channel = team_agent
    thread = arrive(channel, subject="Totally normal mail", text="hi")
    # Stored unsanitized on purpose: rendering must hold even if the pipeline missed something.
    Message.objects.filter(thread=thread).update(html=HOSTILE)
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    frame_element = page.locator("iframe.message__frame")
    frame_element.wait_for()
    frame = frame_element.element_handle().content_frame()
    frame.wait_for_load_state()
    assert "Visible hostile text" in frame.inner_text("body")
    page.wait_for_timeout(1000)  # give any payload the chance to fire (not a timing assertion)
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert dialogs == []
    foreign = [url for url in requests if not url.startswith((live_server.url, "about:", "data:"))]
    assert foreign == []
    sandbox = frame_element.get_attribute("sandbox")
    assert "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox
    # The page itself is still ours: the overlay did not cover the header.
    assert page.get_by_role("button", name="Log out").is_visible()
    page.screenshot(path=str(screenshot_dir / "inbox-hostile-mail.png"))


def _postmark_payload(raw: str, recipient: str) -> dict:
    return {
        "OriginalRecipient": recipient,
        "To": recipient,
        "From": "jane@customer.example",
        "FromFull": {"Email": "jane@customer.example", "Name": "Jane Doe"},
        "Subject": "Re: Printer on fire",
        "Headers": [],
        "RawEmail": raw,
        "MessageID": base64.b16encode(raw[:24].encode()).decode(),
    }


def test_customer_reply_posted_to_the_webhook_lands_in_the_same_thread(
    page, live_server, settings, team_agent, client
):
    agent, channel = team_agent
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ["hook:secret"]}
    address = ForwardingAddressFactory(channel=channel)
    thread = arrive(channel, subject="Printer on fire", text="Help")
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    page.get_by_role("textbox", name="Reply").fill("Try water")
    page.get_by_role("button", name="Send").click()
    page.locator('[data-delivery="sent"]').wait_for(timeout=LIVE_TIMEOUT)
    ours = Message.objects.get(direction=Message.Direction.OUT)
    raw = (
        "From: Jane Doe <jane@customer.example>\r\n"
        f"To: {address.address}\r\nSubject: Re: Printer on fire\r\n"
        "Message-ID: <customer-reply@customer.example>\r\n"
        f"In-Reply-To: {ours.message_id}\r\nReferences: {ours.message_id}\r\n"
        "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nWater made it worse.\r\n"
    )
    response = client.post(
        "/anymail/postmark/inbound/",
        data=json.dumps(_postmark_payload(raw, address.address)),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hook:secret").decode(),
    )
    assert response.status_code == 200
    page.locator("#messages").get_by_text("Water made it worse.").wait_for(timeout=LIVE_TIMEOUT)
    assert (
        Message.objects.get(message_id="<customer-reply@customer.example>").thread_id == thread.pk
    )


def test_a_bounce_marks_the_reply_failed(page, live_server, settings, team_agent, client):
    agent, channel = team_agent
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ["hook:secret"]}
    address = ForwardingAddressFactory(channel=channel)
    thread = arrive(channel, subject="Printer on fire", text="Help")
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    page.get_by_role("textbox", name="Reply").fill("Try water")
    page.get_by_role("button", name="Send").click()
    page.locator('[data-delivery="sent"]').wait_for(timeout=LIVE_TIMEOUT)
    ours = Message.objects.get(direction=Message.Direction.OUT)
    boundary = "dsn-boundary"
    raw = (
        "From: Mail Delivery System <MAILER-DAEMON@customer.example>\r\n"
        f"To: {address.address}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@customer.example>\r\nAuto-Submitted: auto-replied\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.customer.example\r\n\r\n"
        "Final-Recipient: rfc822; jane@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {ours.message_id}\r\nTo: jane@customer.example\r\n\r\n"
        f"--{boundary}--\r\n"
    )
    response = client.post(
        "/anymail/postmark/inbound/",
        data=json.dumps(_postmark_payload(raw, address.address)),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hook:secret").decode(),
    )
    assert response.status_code == 200
    page.locator(f"#message-{ours.pk} [data-delivery='failed']").wait_for(timeout=LIVE_TIMEOUT)
    assert page.locator(f"#message-{ours.pk}").get_by_text("Not delivered").is_visible()


def test_in_place_edits_images_paging_and_spam(
    page, live_server, screenshot_dir, team_agent, image_host, settings
):
    from helpdesk.models import Agent
    from inbox.models import BlockedSender, Thread, Ticket

    agent, channel = team_agent
    for index in range(55):
        ThreadFactory(
            workspace=channel.workspace,
            channel=channel,
            subject=f"Old question {index}",
            last_message_at=timezone.now() - timezone.timedelta(days=1, minutes=index),
        )
    thread = arrive(channel, subject="Newsletter with images", text="see html")
    # The sender's image host is on loopback here, which the proxy refuses by default (SSRF).
    settings.IMAGE_PROXY_ALLOW_PRIVATE_NETWORKS = True
    image_host.routes["/pixel.png"] = (200, {"Content-Type": "image/png"}, PNG)
    Message.objects.filter(thread=thread).update(
        html=f'<p>Look</p><img alt="logo" src="cid:logo@acme">'
        f'<img alt="remote" src="{image_host.origin}/pixel.png">'
    )
    logo = Attachment(
        message=Message.objects.get(thread=thread),
        filename="logo.png",
        content_type="image/png",
        size=len(PNG),
        content_id="<logo@acme>",
        is_inline=True,
    )
    logo.file.save("logo.png", ContentFile(PNG), save=True)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    login(page, live_server, agent.user.username, PASSWORD)

    # Keyset paging appends the older conversations below.
    assert page.locator("[data-thread-id]").count() == 50
    page.get_by_role("link", name="Load older conversations").click()
    page.locator("[data-thread-id]").nth(55).wait_for()
    assert page.locator("[data-thread-id]").count() == 56

    # Availability, straight from the header.
    page.get_by_label("Your availability").select_option("away")
    page.locator(".availability__dot--away").wait_for()
    assert Agent.objects.get(pk=agent.pk).availability == "away"

    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    assert image_host.requested == []
    # The inline (cid:) logo shows at once, from the message's own attachment.
    inline = page.frame_locator("iframe.message__frame").get_by_role("img", name="logo")
    inline.wait_for()
    assert (
        inline.evaluate(
            "img => new Promise(done => img.complete ? done(img.naturalWidth) : "
            "img.addEventListener('load', () => done(img.naturalWidth)))"
        )
        == 3
    )
    page.get_by_role("link", name="Show images").click()
    page.get_by_role("link", name="Show images").wait_for(state="detached")
    srcdoc = page.locator("iframe.message__frame").get_attribute("srcdoc")
    assert f"img-src data: {live_server.url};" in srcdoc
    image = page.frame_locator("iframe.message__frame").get_by_role("img", name="remote")
    image.wait_for()
    assert image.evaluate(LOADED_WIDTH) == 3
    # Only our server spoke to the image host (docs/reliability.md, "Remote images and tracking
    # pixels"): the frame names no other origin,
    # and the host's one request carried the proxy's User-Agent, not Chromium's.
    assert image_host.origin not in srcdoc
    assert not any(url.startswith(image_host.origin) for url in requests)
    assert image_host.requested == ["/pixel.png"]
    assert image_host.user_agents == ["HelpdeskImageProxy/1"]

    # Ticket properties are saved as soon as they change.
    page.locator("#side-panels select[name=priority]").select_option("urgent")
    page.locator("#side-panels select[name=priority] option[value=urgent][selected]").wait_for(
        state="attached"
    )
    assert Ticket.objects.get(thread=thread).priority == "urgent"

    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshot_dir / "inbox-thread-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(
        ".thread-more:not(.snooze-menu) summary"
    ).click()  # spam and blocking sit in the "More" menu
    page.get_by_role("button", name="Mark as spam").click()
    page.wait_for_url(f"{live_server.url}/inbox/")
    assert page.locator(f'[data-thread-id="{thread.pk}"]').count() == 0
    assert Thread.objects.get(pk=thread.pk).is_spam
    assert BlockedSender.objects.filter(value="jane@customer.example").exists()


def test_a_live_refresh_keeps_older_pages_and_the_scroll_position(
    page, live_server, screenshot_dir, team_agent
):
    agent, channel = team_agent
    for index in range(70):
        ThreadFactory(
            workspace=channel.workspace,
            channel=channel,
            subject=f"Old question {index}",
            last_message_at=timezone.now() - timezone.timedelta(days=1, minutes=index),
        )
    login(page, live_server, agent.user.username, PASSWORD)
    page.get_by_role("link", name="Load older conversations").click()
    page.locator("[data-thread-id]").nth(69).wait_for()

    # Scroll the list down to the older page and note which row is at the top of the box.
    box = page.locator("#thread-list")
    assert box.evaluate("(el) => el.scrollHeight > el.clientHeight + 500")
    box.evaluate("(el) => { el.scrollTop = el.scrollHeight - el.clientHeight - 50; }")
    position = """(el) => {
      const top = el.getBoundingClientRect().top;
      const row = Array.from(el.querySelectorAll('[data-thread-id]'))
        .find((item) => item.getBoundingClientRect().bottom > top);
      return {id: row.dataset.threadId, offset: row.getBoundingClientRect().top - top,
              scroll: el.scrollTop};
    }"""
    before = box.evaluate(position)
    assert before["scroll"] > 0

    thread = arrive(channel, subject="Brand new question", text="Just arrived.")
    page.locator(f'[data-thread-id="{thread.pk}"]').wait_for(state="attached", timeout=LIVE_TIMEOUT)

    # Nothing loaded was dropped, and the row the agent was looking at has not moved.
    assert page.locator("[data-thread-id]").count() == 71
    after = page.locator("#thread-list").evaluate(position)
    assert after["id"] == before["id"]
    assert abs(after["offset"] - before["offset"]) < 2
    assert after["scroll"] > before["scroll"]
    page.screenshot(path=str(screenshot_dir / "inbox-live-refresh-keeps-pages.png"))


def test_an_admin_undoes_spam_and_unblocks_a_sender(page, live_server, screenshot_dir):
    from helpdesk.models import Agent
    from inbox.models import BlockedSender, Thread

    admin = AgentFactory(role=Agent.Role.ADMIN)
    channel = EmailChannelFactory(workspace=admin.workspace, company_name="Acme")
    thread = arrive(channel, subject="Not a scam, honest", text="A real customer.")
    login(page, live_server, admin.user.username, PASSWORD)

    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(
        ".thread-more:not(.snooze-menu) summary"
    ).click()  # spam and blocking sit in the "More" menu
    page.get_by_role("button", name="Mark as spam").click()
    page.wait_for_url(f"{live_server.url}/inbox/")

    # The Spam view keeps it; "Not spam" brings it back and unblocks the address.
    page.get_by_role("link", name="Spam 1").click()
    page.locator(f'[data-thread-id="{thread.pk}"] a').click()
    page.get_by_role("note").filter(has_text="Marked as spam").wait_for()
    page.screenshot(path=str(screenshot_dir / "inbox-spam-thread.png"))
    page.get_by_role("button", name="Not spam").click()
    page.get_by_text("is back in the inbox").wait_for()
    assert not Thread.objects.get(pk=thread.pk).is_spam
    assert not BlockedSender.objects.exists()
    page.goto(f"{live_server.url}/inbox/?view=open")
    assert page.locator(f'[data-thread-id="{thread.pk}"]').count() == 1

    # Blocked senders, reached from Settings, with Unblock.
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".thread-more:not(.snooze-menu) summary").click()
    page.get_by_role("button", name="Block customer.example").click()
    page.get_by_text("Mail from customer.example will be refused").wait_for()
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Blocked senders").click()
    row = page.locator("tr", has_text="customer.example")
    assert "Whole domain" in row.inner_text()
    page.screenshot(path=str(screenshot_dir / "settings-blocked-senders.png"))
    page.get_by_role("button", name="Unblock customer.example").click()
    page.get_by_role("heading", name="No blocked senders").wait_for()
    assert not BlockedSender.objects.exists()


def test_keyboard_focus_survives_load_older_and_in_place_actions(
    page, live_server, screenshot_dir, team_agent
):
    from inbox.models import Ticket

    agent, channel = team_agent
    for index in range(55):
        ThreadFactory(
            workspace=channel.workspace,
            channel=channel,
            subject=f"Old question {index}",
            last_message_at=timezone.now() - timezone.timedelta(days=1, minutes=index),
        )
    thread = arrive(channel, subject="Keyboard only", text="Tab, Enter, arrows.")
    login(page, live_server, agent.user.username, PASSWORD)
    active = "() => document.activeElement && (document.activeElement.id || document.activeElement.textContent.trim().slice(0, 40))"

    # "Load older conversations" by keyboard: focus lands on the first older row.
    page.get_by_role("link", name="Load older conversations").focus()
    page.keyboard.press("Enter")
    page.locator("[data-thread-id]").nth(55).wait_for()
    focused_row = "() => document.activeElement.closest('[data-thread-id]')?.textContent || ''"
    assert "Old question 49" in page.evaluate(focused_row)

    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    # A ticket property changed from the keyboard keeps the focus on its field.
    page.locator("#ticket-priority").focus()
    page.locator("#ticket-priority").select_option("urgent")
    page.wait_for_function(
        "() => document.querySelector('#ticket-priority option[value=urgent][selected]')"
    )
    settled(page)
    assert Ticket.objects.get(thread=thread).priority == "urgent"
    assert page.evaluate(active) == "ticket-priority"

    # Close, then Reopen: the same button keeps the focus.
    page.get_by_role("button", name="Close", exact=True).focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Reopen").wait_for()
    settled(page)
    assert page.evaluate(active) == "thread-status-button"

    # "Assign to me" goes away once done: focus moves to the thread's title, not the page top.
    page.get_by_role("button", name="Assign to me").focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Assign to me").wait_for(state="detached")
    page.wait_for_function("() => document.activeElement.id === 'thread-title'")
