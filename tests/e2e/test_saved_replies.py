"""Saved replies in a real Chromium: "/" and a name in the composer, keyboard only; tokens
filled in for the thread with a missing one highlighted and holding the send back; the picker
button's search; the reply going out with the saved reply's file; the management page; no
policy violation and no serious accessibility problem on the way."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from inbox.models import Attachment, Message, SavedReply
from inbox.services.saved_replies import saved_reply_create
from tests.e2e.axe import AXE_SCRIPT, FAILING_IMPACTS, WCAG_TAGS, assert_accessible, new_axe_context
from tests.e2e.conftest import login
from tests.e2e.test_csp import Watch
from tests.e2e.test_inbox import arrive
from tests.factories import AdminFactory, AgentFactory, EmailChannelFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"

# The editor's selection over the first occurrence of `text` (what a double-click and a drag
# would do), through Trix's own API.
SELECT_TEXT = """(text) => {
  const editor = document.querySelector("trix-editor").editor;
  const start = editor.getDocument().toString().indexOf(text);
  editor.setSelectedRange([start, start + text.length]);
}"""


def composer_violations(page) -> list[str]:
    """axe's serious and critical WCAG findings inside the composer's editor and picker."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate(
        """async (tags) => await window.axe.run({ include: [["#composer [data-editor]"]] }, {
            runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })""",
        WCAG_TAGS,
    )
    return [
        f"{item['id']}: {item['help']}"
        for item in results["violations"]
        if item.get("impact") in FAILING_IMPACTS
    ]


@pytest.fixture(autouse=True)
def _mail_and_media(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def setup():
    admin = AdminFactory(user__first_name="Grace", user__last_name="Hopper")
    agent = AgentFactory(
        workspace=admin.workspace, user__first_name="Ada", user__last_name="Lovelace"
    )
    channel = EmailChannelFactory(workspace=agent.workspace, company_name="Acme")
    thread = arrive(channel, subject="Refund please", text="I want my money back.")
    shared = saved_reply_create(
        agent=admin,
        name="Refund policy",
        body_html=(
            "<div>Hi {{contact.first_name}},</div><div>your ticket is #{{ticket.id}}; "
            "refunds take 5 days.</div><div>{{agent.first_name}}</div>"
        ),
        shared=True,
        files=[SimpleUploadedFile("policy.txt", b"30 days", content_type="text/plain")],
    )
    personal = saved_reply_create(
        agent=agent, name="Printer tips", body_html="<div>Unplug it first.</div>", shared=False
    )
    return agent, thread, shared, personal


def test_insert_a_saved_reply_with_tokens_by_slash_and_by_the_picker(
    page, live_server, setup, screenshot_dir
) -> None:
    agent, thread, _shared, _personal = setup
    watch = Watch(page)
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    editor = page.get_by_role("textbox", name="Reply")
    editor.click()

    # "/" and part of a name opens the matches; the first is chosen, Enter inserts it.
    page.keyboard.type("/refu")
    options = page.get_by_role("listbox", name="Saved replies matching what you typed")
    expect(options).to_be_visible()
    option = options.get_by_role("option", name="Refund policy")
    expect(option).to_have_attribute("aria-selected", "true")
    assert editor.get_attribute("aria-activedescendant") == option.get_attribute("id")
    page.screenshot(path=str(screenshot_dir / "saved-reply-slash.png"))
    page.keyboard.press("Enter")
    expect(editor).to_contain_text("Hi Jane,")
    expect(editor).to_contain_text("Ada")
    expect(options).to_be_hidden()
    assert "/refu" not in editor.inner_text()
    # The thread has no ticket yet: the token shows highlighted, for the agent to fix.
    marker = editor.locator("mark")
    expect(marker).to_have_text("[ticket.id]")
    expect(page.get_by_role("list", name="Files from saved replies")).to_contain_text("policy.txt")

    page.get_by_role("button", name="Send").click()
    expect(page.locator(".editor__error")).to_have_text("Fill in [ticket.id] before sending.")
    time.sleep(0.5)
    assert not Message.objects.filter(direction=Message.Direction.OUT).exists()

    page.evaluate(SELECT_TEXT, "[ticket.id]")
    page.keyboard.type("4711")
    expect(marker).to_have_count(0)
    expect(page.locator(".editor__error")).to_be_hidden()

    # The picker button: a search (combobox) over the same replies, keyboard only.
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    # Trix renders the new line in a later frame and takes the focus back to do it: seen moving
    # the focus out of the picker's search (which then closes) when the button came at once.
    page.wait_for_timeout(300)
    toggle = page.get_by_role("button", name="Saved replies")
    toggle.focus()
    page.keyboard.press("Enter")
    search = page.get_by_role("combobox", name="Find a saved reply")
    expect(search).to_be_focused()
    page.keyboard.type("print")
    listbox = page.get_by_role("listbox", name="Saved replies", exact=True)
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox.get_by_role("option", name="Printer tips")).to_have_attribute(
        "aria-selected", "true"
    )
    page.keyboard.press("Enter")
    expect(editor).to_contain_text("Unplug it first.")
    expect(search).to_be_hidden()
    page.screenshot(path=str(screenshot_dir / "saved-reply-inserted.png"), full_page=True)

    page.get_by_role("button", name="Send").click()
    deadline = time.monotonic() + 15
    while not Message.objects.filter(direction=Message.Direction.OUT).exists():
        assert time.monotonic() < deadline, "the reply was not stored"
        time.sleep(0.2)
    reply = Message.objects.get(direction=Message.Direction.OUT)
    assert "Hi Jane," in reply.text and "#4711" in reply.text and "Unplug it first." in reply.text
    assert "<mark" not in reply.html and "[ticket.id]" not in reply.text
    assert [item.filename for item in Attachment.objects.filter(message=reply)] == ["policy.txt"]
    counts = dict(SavedReply.objects.values_list("name", "usage_count"))
    assert counts == {"Refund policy": 1, "Printer tips": 1}
    watch.assert_clean()


def test_manage_saved_replies_and_no_serious_accessibility_problem(
    browser, live_server, setup
) -> None:
    agent, thread, _shared, _personal = setup
    context = new_axe_context(browser)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, live_server, agent.user.username, PASSWORD)
        page.get_by_role("link", name="Saved replies").click()
        expect(page.get_by_role("heading", name="Saved replies")).to_be_visible()
        assert_accessible(page, "saved replies list")
        page.get_by_label("Search saved replies").fill("unplug")
        expect(page.locator("#saved-reply-results")).not_to_contain_text("Refund policy")
        expect(page.locator("#saved-reply-results")).to_contain_text("Printer tips")

        page.get_by_role("link", name="New saved reply").click()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("This field is required.")).to_be_visible()
        assert_accessible(page, "saved reply form with errors")
        page.get_by_label("Name").fill("Greeting")
        page.get_by_role("textbox", name="Text of the saved reply").click()
        page.keyboard.type("Hello {{contact.first_name}}")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Saved reply “Greeting” saved.")).to_be_visible()
        saved = SavedReply.objects.get(name="Greeting")
        assert saved.owner_id == agent.user_id
        assert "Hello {{contact.first_name}}" in saved.body_html

        page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
        page.get_by_role("button", name="Saved replies").click()
        expect(page.get_by_role("option", name="Greeting Personal")).to_be_visible()
        # The composer only: the rest of the thread page has its own audit.
        assert composer_violations(page) == []
    finally:
        context.close()
