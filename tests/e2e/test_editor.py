"""The composer's rich-text editor (Trix) in a real Chromium: formatting from the toolbar and
the keyboard, a pasted image that goes out as an inline (cid:) part, "Show quoted text", and
no Content-Security-Policy violation on the way."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django.core import mail
from playwright.sync_api import expect

from inbox.models import Attachment, Message
from tests.e2e.conftest import login
from tests.e2e.test_csp import Watch
from tests.e2e.test_inbox import arrive
from tests.factories import AgentFactory, EmailChannelFactory
from tests.image_host import PNG

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"

PASTE_IMAGE = """([selector, data]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], "screenshot.png", { type: "image/png" }));
  const event = new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true });
  document.querySelector(selector).dispatchEvent(event);
}"""


@pytest.fixture(autouse=True)
def _mail_and_media(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")


def wait_for_reply(timeout: float = 15) -> Message:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = Message.objects.filter(direction=Message.Direction.OUT).first()
        if reply is not None:
            return reply
        time.sleep(0.2)
    raise AssertionError("no reply was stored")


def test_rich_reply_with_pasted_image_and_quoted_text_goes_out_as_written(
    page, live_server, screenshot_dir
) -> None:
    watch = Watch(page)
    agent = AgentFactory(user__first_name="Ada", user__last_name="Lovelace")
    agent.workspace.undo_send_seconds = 0
    agent.workspace.save(update_fields=["undo_send_seconds"])
    channel = EmailChannelFactory(workspace=agent.workspace, company_name="Acme")
    thread = arrive(channel, subject="Printer on fire", text="It started smoking.")
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")

    editor = page.get_by_role("textbox", name="Reply")
    editor.click()
    page.keyboard.type("Please step away. ")
    page.get_by_role("button", name="Bold").click()
    page.keyboard.type("Now.")
    page.get_by_role("button", name="Bold").click()
    # The keyboard alone: Ctrl+I, and a toolbar button reached with Tab and pressed with Enter.
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)  # see below: Trix settles the formatting a frame later
    page.keyboard.press("Control+i")
    italic = page.get_by_role("button", name="Italic")
    expect(italic).to_have_attribute("aria-pressed", "true")
    page.keyboard.type("Carefully")
    # Trix settles its formatting after the selection moves (a frame later): a person's next
    # key always comes after that, a script's may not.
    page.wait_for_timeout(300)
    page.keyboard.press("Control+i")
    expect(italic).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)  # as above: the new line settles a frame later
    bullets = page.get_by_role("button", name="Bulleted list")
    bullets.focus()
    page.keyboard.press("Enter")
    # The button reports the list once Trix has applied it (on its next selection change).
    expect(bullets).to_have_attribute("aria-pressed", "true")
    editor.press("End")
    page.keyboard.type("unplug it")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # an empty item ends the list

    page.evaluate(PASTE_IMAGE, ["trix-editor", base64.b64encode(PNG).decode()])
    expect(page.locator("trix-editor figure img")).to_have_attribute("src", re.compile("^data:"))

    page.get_by_role("button", name="Show quoted text").click()
    quote = page.locator("trix-editor blockquote")
    quote.wait_for()
    assert "It started smoking." in quote.inner_text()
    assert "wrote:" in quote.inner_text()
    page.screenshot(path=str(screenshot_dir / "composer-rich-reply.png"), full_page=True)

    page.get_by_role("button", name="Send").click()
    reply = wait_for_reply()
    assert "<strong>Now.</strong>" in reply.html
    assert "<em>Carefully</em>" in reply.html
    assert "<li>unplug it</li>" in reply.html
    assert "<blockquote>" in reply.html and "It started smoking." in reply.html
    assert "data:" not in reply.html and "screenshot.png" not in reply.html
    image = Attachment.objects.get(message=reply, is_inline=True)
    assert image.content_type == "image/png"
    assert f'src="cid:{image.content_id}"' in reply.html
    with image.file.open("rb") as handle:
        assert handle.read() == PNG
    expect(editor).to_have_text("")

    # The sent mail carries the image as an inline part of a multipart/related body.
    deadline = time.monotonic() + 15
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.2)
    sent = mail.outbox[0].message()
    parts = {part.get("Content-ID"): part for part in sent.walk()}
    assert parts[f"<{image.content_id}>"].get_payload(decode=True) == PNG
    watch.assert_clean()


def test_a_link_from_the_link_dialog_and_a_draft_that_survives_a_reload(page, live_server) -> None:
    watch = Watch(page)
    agent = AgentFactory()
    channel = EmailChannelFactory(workspace=agent.workspace)
    thread = arrive(channel, subject="Docs", text="Where are the docs?")
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")

    editor = page.get_by_role("textbox", name="Reply")
    editor.click()
    page.keyboard.type("See the manual")
    page.keyboard.press("Shift+Home")
    page.get_by_role("button", name="Link", exact=True).click()
    address = page.get_by_label("Link address")
    address.fill("https://docs.example/manual")
    address.press("Enter")
    page.locator('trix-editor a[href="https://docs.example/manual"]').wait_for()

    page.reload()
    page.locator('trix-editor a[href="https://docs.example/manual"]').wait_for()
    assert "See the manual" in page.get_by_role("textbox", name="Reply").inner_text()
    watch.assert_clean()
