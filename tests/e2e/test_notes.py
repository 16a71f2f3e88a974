"""Internal notes in a real Chromium: one agent mentions the other in a note (keyboard only),
the other sees the note live and is notified; the customer's mail has no trace of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inbox.models import Message, Note, Notification
from tests.e2e.conftest import login
from tests.factories import (
    AgentFactory,
    ContactFactory,
    EmailChannelFactory,
    MessageFactory,
    ThreadFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
# The thread's poll runs every 5 s; give it two rounds.
LIVE_TIMEOUT = 12_000
SECRET = "Refund at most 10 EUR, this customer tried it twice already"


@pytest.fixture
def mail_dir(settings, tmp_path) -> Path:
    """The customer-facing mail lands in files, as the file email backend writes them."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "mail"


@pytest.fixture
def team():
    alice = AgentFactory(user__first_name="Alice", user__last_name="Smith")
    bob = AgentFactory(workspace=alice.workspace, user__first_name="Bob", user__last_name="Jones")
    channel = EmailChannelFactory(
        workspace=alice.workspace, company_name="Acme", default_from_username="support"
    )
    contact = ContactFactory(
        workspace=alice.workspace, email="jane@customer.example", name="Jane Doe"
    )
    now = timezone.now()
    thread = ThreadFactory(
        workspace=alice.workspace,
        channel=channel,
        contact=contact,
        subject="Refund request",
        last_message_at=now,
        message_count=1,
    )
    MessageFactory(thread=thread, text="I want my money back.", created_at=now)
    return alice, bob, thread


def open_thread(browser, live_server, agent, thread):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    return context, page


def test_a_mention_in_a_note_reaches_the_colleague_and_never_the_customer(
    browser, live_server, mail_dir, team, screenshot_dir
):
    alice, bob, thread = team
    alice_context, alice_page = open_thread(browser, live_server, alice, thread)
    bob_context, bob_page = open_thread(browser, live_server, bob, thread)
    try:
        # "n" opens the Note tab and puts the cursor in the note (nothing is focused yet).
        alice_page.locator("body").click(position={"x": 5, "y": 300})
        alice_page.keyboard.press("n")
        note_box = alice_page.get_by_role("combobox", name="Internal note")
        assert alice_page.get_by_role("tab", name="Note").get_attribute("aria-selected") == "true"
        assert note_box.evaluate("element => element === document.activeElement")
        assert alice_page.locator("#composer").is_hidden()

        # "n" typed inside the note is just a letter.
        note_box.type(f"{SECRET}. Can you take this, @Bo")
        listbox = alice_page.get_by_role("listbox", name="Agents and teams to mention")
        option = listbox.get_by_role("option", name="Bob Jones")
        option.wait_for()
        expect(note_box).to_have_attribute("aria-expanded", "true")
        expect(option).to_have_attribute("aria-selected", "true")
        expect(note_box).to_have_attribute(
            "aria-activedescendant", f"mention-option-user-{bob.user_id}"
        )
        alice_page.keyboard.press("Enter")
        expect(listbox).to_be_hidden()
        note_box.type("before you reply?")
        assert (
            note_box.input_value() == f"{SECRET}. Can you take this, @Bob Jones before you reply?"
        )
        alice_page.get_by_role("button", name="Add note").click()

        alice_note = alice_page.locator(".note").filter(has_text=SECRET)
        alice_note.wait_for(timeout=LIVE_TIMEOUT)
        assert alice_note.locator(".mention-chip").inner_text() == "@Bob Jones"
        assert note_box.input_value() == ""
        note = Note.objects.get()
        assert list(note.mentions.values_list("user_id", flat=True)) == [bob.user_id]
        alice_page.screenshot(path=str(screenshot_dir / "note-written.png"), full_page=True)

        # Bob's open thread shows the note within a poll, and he is told he was mentioned.
        bob_note = bob_page.locator(".note").filter(has_text=SECRET)
        bob_note.wait_for(timeout=LIVE_TIMEOUT)
        assert "Internal note" in bob_note.text_content() and "Alice Smith" in bob_note.inner_text()
        assert bob_note.get_by_role("link", name="Edit").count() == 0
        assert Notification.objects.filter(recipient=bob.user, kind="mentioned").exists()
        bob_page.get_by_test_id("bell-count").wait_for(timeout=LIVE_TIMEOUT)
        bob_page.screenshot(path=str(screenshot_dir / "note-seen-by-mentioned.png"))

        # Alice replies to the customer: the mail carries none of the note.
        alice_page.get_by_role("tab", name="Reply").click()
        assert alice_page.locator("#note-composer").is_hidden()
        alice_page.get_by_role("textbox", name="Reply").click()
        alice_page.keyboard.type("Hello Jane, your refund is on its way.")
        alice_page.get_by_role("button", name="Send").click()
        alice_page.locator('[data-delivery="sent"]').wait_for(timeout=LIVE_TIMEOUT)
    finally:
        alice_context.close()
        bob_context.close()

    assert Message.objects.filter(direction="out", delivery_status="sent").count() == 1
    # The file backend writes every mail (the colleague's notification too); the customer's is
    # the one addressed to them.
    written = b"".join(path.read_bytes() for path in sorted(mail_dir.iterdir()))
    [raw] = [mail for mail in written.split(b"-" * 79) if b"\nTo: jane@customer.example" in mail]
    assert b"your refund is on its way" in raw
    for secret in (SECRET, "Refund at most", "tried it twice", "@Bob Jones", "before you reply"):
        assert secret.encode() not in raw


# What this feature adds to the thread page (the rest of the page is audited in
# tests/e2e/test_accessibility.py).
OUR_PARTS = ["#messages", ".composer-tabs", "#note-composer"]


def assert_parts_accessible(page, where: str) -> None:
    from tests.e2e.axe import AXE_SCRIPT, FAILING_IMPACTS, WCAG_TAGS, describe

    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate(
        """async ([parts, tags]) => await window.axe.run(
            { include: parts.filter((part) => document.querySelector(part)).map((part) => [part]) },
            { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })""",
        [OUR_PARTS, WCAG_TAGS],
    )
    found = [v for v in results["violations"] if v.get("impact") in FAILING_IMPACTS]
    assert not found, f"axe found problems on {where}:\n{describe(found)}"


def test_notes_the_typeahead_and_the_edit_form_have_no_serious_accessibility_violations(
    audited, live_server, team
):
    from inbox.services import notes as note_services
    from inbox.services import threads as thread_services

    alice, bob, thread = team
    note_services.note_create(
        thread=thread, author=alice, body="Over to you @Bob Jones", mention_user_ids=[bob.user_id]
    )
    thread_services.thread_assign(thread=thread, assignee=bob, by=alice)
    page = audited
    login(page, live_server, alice.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    page.get_by_text("Alice Smith assigned this to Bob Jones").wait_for()
    page.get_by_role("tab", name="Note").click()
    page.get_by_role("combobox", name="Internal note").type("@B")
    listbox = page.get_by_role("listbox", name="Agents and teams to mention")
    listbox.get_by_role("option", name="Bob Jones").wait_for()
    expect(page.get_by_role("combobox", name="Internal note")).to_have_attribute(
        "aria-activedescendant", f"mention-option-user-{bob.user_id}"
    )
    assert_parts_accessible(page, "the thread with a note, an event and the mention list open")
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    # Arrows move between the tabs, as in any tab list.
    page.get_by_role("tab", name="Note").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name="Reply")).to_be_focused()
    expect(page.locator("#note-composer")).to_be_hidden()
    page.get_by_role("link", name="Edit this note").click()
    edit_box = page.get_by_role("combobox", name="Edit your internal note")
    edit_box.wait_for()
    assert_parts_accessible(page, "a note's edit form")
    edit_box.fill("Over to you @Bob Jones, thanks")
    page.get_by_role("button", name="Save note").click()
    page.get_by_test_id("note-edited").wait_for()
    assert Note.objects.get().body == "Over to you @Bob Jones, thanks"
    # Mentions carried over from before the edit stay (their hidden inputs came with the form).
    assert list(Note.objects.get().mentions.values_list("user_id", flat=True)) == [bob.user_id]
    page.get_by_text("Delete…").click()
    page.get_by_role("button", name="Delete note").click()
    expect(page.locator(".note")).to_have_count(0)
    assert not Note.objects.exists()
