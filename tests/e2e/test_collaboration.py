"""Two agents on one thread in two browsers: the bell, presence, and a held colliding send."""

from __future__ import annotations

import json
import time

import pytest
from django.core import mail

from inbox.models import Message, Notification
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
# The bell polls and presence beats every 3 s, so news shows within 5 s, request time included.
WITHIN_5_S = 5_000


@pytest.fixture(autouse=True)
def _mail_and_media(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def team():
    alice = AgentFactory(user__first_name="Alice", user__last_name="Archer")
    bob = AgentFactory(workspace=alice.workspace, user__first_name="Bob", user__last_name="Baker")
    alice.workspace.undo_send_seconds = 0  # sends at once: the guard, not undo, is tested here
    alice.workspace.save()
    channel = EmailChannelFactory(
        workspace=alice.workspace, company_name="Acme", default_from_username="support"
    )
    contact = ContactFactory(workspace=alice.workspace, email="jane@customer.example", name="Jane")
    thread = ThreadFactory(
        workspace=alice.workspace, channel=channel, contact=contact, subject="Printer on fire"
    )
    MessageFactory(thread=thread, text="It started smoking.", from_name="Jane")
    return alice, bob, thread


@pytest.fixture
def two_pages(browser, live_server):
    contexts = [browser.new_context(viewport={"width": 1280, "height": 860}) for _ in range(2)]
    pages = [context.new_page() for context in contexts]
    for page in pages:
        page.set_default_timeout(10_000)
    yield pages
    for context in contexts:
        context.close()


def test_a_mention_reaches_the_others_bell_within_5_seconds(
    two_pages, live_server, team, screenshot_dir
):
    alice, bob, thread = team
    alice_page, bob_page = two_pages
    login(alice_page, live_server, alice.user.username, PASSWORD)
    login(bob_page, live_server, bob.user.username, PASSWORD)
    bell = bob_page.get_by_test_id("bell")
    bell.wait_for()
    assert bob_page.get_by_test_id("bell-count").count() == 0

    alice_page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    alice_page.get_by_role("tab", name="Note").click()
    note = alice_page.get_by_role("combobox", name="Internal note")
    note.click()
    alice_page.keyboard.type("Can you look at this, @Bo")
    # The list answers each keystroke: wait until Bob is the highlighted suggestion.
    alice_page.locator(
        "#note-body-mentions [role=option][aria-selected=true]", has_text="Bob Baker"
    ).wait_for()
    alice_page.keyboard.press("Enter")
    alice_page.keyboard.type("please?")
    alice_page.get_by_role("button", name="Add note").click()
    saved = time.monotonic()
    alice_page.locator("#messages").get_by_text("please?").wait_for()

    bob_page.get_by_test_id("bell-count").filter(has_text="1").wait_for(timeout=WITHIN_5_S)
    assert time.monotonic() - saved < WITHIN_5_S / 1000
    (row,) = Notification.objects.filter(recipient=bob.user)
    assert (row.kind, row.actor_id) == ("mentioned", alice.user_id)

    bob_page.get_by_test_id("bell").click()
    item = bob_page.get_by_test_id("notification").first
    item.wait_for()
    assert "Alice Archer mentioned you in a note." in item.inner_text()
    bob_page.screenshot(path=str(screenshot_dir / "bell-open.png"))
    item.get_by_role("link").click()
    bob_page.wait_for_url(f"**/inbox/threads/{thread.pk}/")
    bob_page.locator("#messages").get_by_text("please?").wait_for()
    bob_page.get_by_test_id("bell").wait_for()
    assert bob_page.get_by_test_id("bell-count").count() == 0  # opened: read
    # The customer got nothing, let alone the note.
    assert all("please?" not in message.body for message in mail.outbox)


def test_presence_shows_live_and_a_colliding_send_is_held(
    two_pages, live_server, team, screenshot_dir
):
    alice, bob, thread = team
    alice_page, bob_page = two_pages
    login(alice_page, live_server, alice.user.username, PASSWORD)
    login(bob_page, live_server, bob.user.username, PASSWORD)
    url = f"{live_server.url}/inbox/threads/{thread.pk}/"
    alice_page.goto(url)
    bob_page.goto(url)

    presence = alice_page.get_by_test_id("presence")
    presence.get_by_text("Bob is viewing").wait_for(timeout=WITHIN_5_S)
    bob_page.get_by_test_id("presence").get_by_text("Alice is viewing").wait_for(timeout=WITHIN_5_S)

    # Alice starts a reply; Bob sees it.
    alice_editor = alice_page.get_by_role("textbox", name="Reply")
    alice_editor.click()
    alice_page.keyboard.type("We are sending a technician")
    bob_page.get_by_test_id("presence").get_by_text("Alice is replying").wait_for(
        timeout=WITHIN_5_S
    )

    # Bob answers first.
    bob_editor = bob_page.get_by_role("textbox", name="Reply")
    bob_editor.click()
    bob_page.keyboard.type("Please unplug it now.")
    bob_page.get_by_role("button", name="Send").click()
    bobs = _stored(Message.objects.filter(sent_by=bob.user))
    bob_page.locator(f"#message-{bobs.pk}").wait_for()

    # Alice's send is held: nothing stored, nothing sent; she sees Bob's reply.
    sent_before = Message.objects.filter(direction=Message.Direction.OUT).count()
    alice_page.get_by_role("button", name="Send", exact=True).click()
    held = alice_page.get_by_test_id("collision")
    held.wait_for()
    assert "Bob Baker replied" in held.inner_text()
    alice_page.screenshot(path=str(screenshot_dir / "collision-held.png"), full_page=True)
    assert Message.objects.filter(direction=Message.Direction.OUT).count() == sent_before
    assert not Message.objects.filter(text__contains="technician").exists()
    assert "We are sending a technician" in alice_editor.inner_text()

    # Review keeps the draft; the next Send goes.
    held.get_by_role("link", name="Review").click()
    assert alice_page.get_by_test_id("collision").count() == 0
    alice_page.get_by_role("button", name="Send", exact=True).click()
    alices = _stored(Message.objects.filter(sent_by=alice.user))
    assert alices.pk > bobs.pk and "We are sending a technician" in alices.text


def _stored(queryset, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = queryset.first()
        if found is not None:
            return found
        time.sleep(0.2)
    raise AssertionError("nothing was stored")


def test_bell_notifications_and_settings_pass_axe_and_work_by_keyboard(browser, live_server, team):
    from tests.e2e.axe import assert_accessible, describe, new_axe_context, serious_violations

    alice, bob, thread = team
    Notification.objects.create(
        workspace=bob.workspace, recipient=bob.user, thread=thread, actor=alice.user,
        kind="assigned", created_at=thread.last_message_at,
    )  # fmt: skip
    context = new_axe_context(browser)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, live_server, bob.user.username, PASSWORD)
        page.get_by_test_id("bell-count").filter(has_text="1").wait_for(timeout=WITHIN_5_S)
        page.get_by_test_id("bell").focus()
        page.keyboard.press("Enter")
        page.get_by_test_id("notification").first.wait_for()
        assert page.get_by_test_id("bell").get_attribute("aria-expanded") == "true"
        assert_accessible(page, "inbox with the bell open")
        page.keyboard.press("Escape")
        assert page.locator("#bell-panel").is_hidden()

        page.goto(f"{live_server.url}/inbox/notifications/")
        assert_accessible(page, "notifications page")
        page.get_by_role("button", name="Mark all read").click()
        page.get_by_role("button", name="Mark all read").wait_for(state="detached")
        assert page.get_by_test_id("bell-count").count() == 0

        page.goto(f"{live_server.url}/inbox/notifications/settings/")
        assert_accessible(page, "notification settings")
        page.get_by_role("checkbox", name="I am mentioned in a note by email").uncheck()
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Your notification settings are saved.").wait_for()
        assert not page.get_by_role(
            "checkbox", name="I am mentioned in a note by email"
        ).is_checked()

        page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
        page.get_by_test_id("presence").wait_for(state="attached")
        # The whole thread page is audited by test_accessibility; here: what this feature adds.
        ours = [
            violation
            for violation in serious_violations(page)
            if any(
                word in json.dumps(node["target"])
                for node in violation["nodes"]
                for word in ("presence", "bell", "collision")
            )
        ]
        assert not ours, describe(ours)
    finally:
        context.close()
