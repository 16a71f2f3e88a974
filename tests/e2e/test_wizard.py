"""The connect wizard in a real Chromium: mouse, keyboard, phone width, JavaScript off."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
import urllib.parse
import urllib.request

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from channels_cfg.models import EmailChannel, ForwardingConfirmation
from channels_cfg.services.channels import channel_test_email_received
from tests.e2e.conftest import login
from tests.factories import AdminFactory, AgentFactory, ForwardingAddressFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _patient_expect() -> object:
    # Two cores shared by several suites: give htmx round trips room before calling them lost.
    expect.set_options(timeout=10_000)
    yield
    expect.set_options(timeout=5_000)


def start_wizard(page, live_server) -> None:
    page.goto(f"{live_server.url}/settings/channels/")
    page.get_by_role("link", name="Connect a channel").first.click()
    page.get_by_role("button", name="Other email account").click()
    page.wait_for_url(re.compile(r"/connect/\d+/from/$"))
    wait_for_step(page, "from")


def wait_for_step(page, step: str) -> None:
    """The step is swapped in and htmx has wired it up (wizard.js marks <html> when settled)."""
    page.locator(f"html[data-wizard-step={step}]").wait_for(state="attached")


def swaps(page) -> int:
    """How many times the wizard was swapped in and wired up (wizard.js counts them)."""
    return int(page.evaluate("Number(document.documentElement.dataset.wizardSwaps || 0)"))


def wait_for_swap_after(page, count: int) -> None:
    """htmx wires new content while it settles, after it is visible: a control changed before
    that sends nothing. Wait for the swap after `count` to be wired up."""
    page.wait_for_function(f"Number(document.documentElement.dataset.wizardSwaps || 0) > {count}")


def focus_is_inside(page, selector: str) -> bool:
    return page.evaluate(
        "(sel) => document.querySelector(sel).contains(document.activeElement)", selector
    )


def test_admin_walks_the_whole_wizard_with_the_mouse(page, live_server, screenshot_dir) -> None:
    admin = AdminFactory(user__first_name="Dana", user__last_name="Scully")
    AgentFactory(workspace=admin.workspace, user__first_name="Fox", user__last_name="Mulder")
    login(page, live_server, admin.user.username, PASSWORD)
    start_wizard(page, live_server)

    # Step 1: the preview follows the typing, without moving the layout.
    preview = page.locator("#mail-preview")
    box_before = preview.bounding_box()
    page.get_by_role("textbox", name="Company name").fill("Acme Widgets")
    expect(page.locator("[data-preview-from-name]")).to_have_text("Dana Scully at Acme Widgets")
    page.locator("summary", has_text="Add team signature").click()
    area = page.locator("[data-signature-area]")
    area.click()
    page.keyboard.type("Best, ")
    page.locator("[data-insert-token]").select_option(label="First name")
    page.get_by_role("button", name="Bold").click()
    page.keyboard.type(" Acme")
    expect(page.locator("[data-preview-signature]")).to_contain_text("Best, Dana Acme")
    page.locator("input[name=from_name_mode][value=company]").check()
    expect(page.locator("[data-preview-from-name]")).to_have_text("Acme Widgets")
    box_after = preview.bounding_box()
    assert box_before is not None and box_after is not None
    assert (box_after["x"], box_after["y"], box_after["height"]) == (
        box_before["x"],
        box_before["y"],
        box_before["height"],
    )

    # Custom from address: Verify opens a modal dialog with focus inside; Escape returns it.
    page.locator("input[name=from_address_mode][value=custom]").check()
    page.get_by_label("Custom from address").fill("help@acme.example")
    expect(page.locator("[data-preview-from-address]")).to_have_text("help@acme.example")
    verify_button = page.get_by_role("button", name="Verify address")
    verify_button.click()
    dialog = page.locator("#verify-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("help@acme.example")
    assert focus_is_inside(page, "#verify-dialog")
    page.screenshot(path=str(screenshot_dir / "wizard-1-verify-dialog.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.textContent.trim()") == "Verify address"
    verify_button.click()
    dialog.get_by_role("button", name="Send verification message").click()
    expect(page.get_by_role("status").filter(has_text="Verification message sent")).to_be_visible()
    expect(page.locator("#verify-state")).to_contain_text("Pending")
    page.screenshot(path=str(screenshot_dir / "wizard-1-from.png"), full_page=True)

    # The admin opens the mailed link (another tab) and confirms.
    link = re.search(r"https?://\S+/verify-from-address/\S+/", mail.outbox[-1].body)
    assert link
    path = urllib.parse.urlsplit(link[0]).path
    other_tab = page.context.new_page()
    other_tab.goto(f"{live_server.url}{path}")
    other_tab.get_by_role("button", name="Verify address").click()
    expect(other_tab.get_by_role("heading", name="Address verified")).to_be_visible()
    other_tab.close()
    page.reload()
    expect(page.locator("#verify-state")).to_contain_text("Verified")
    page.get_by_role("button", name="Next").click()

    # Step 2: assignment and the ticket side panel.
    expect(page.get_by_role("heading", name="Assignment and tickets")).to_be_visible()
    wait_for_step(page, "assignment")
    page.get_by_text("Automatically assign threads").click()
    page.get_by_label("Fox Mulder").check()
    page.get_by_role("button", name="Edit ticket").click()
    panel = page.locator("#ticket-panel")
    expect(panel).to_be_visible()
    panel.get_by_label("Priority").select_option("urgent")
    panel.get_by_role("link", name="Cancel").click()
    expect(panel).to_be_hidden()
    expect(panel.get_by_label("Priority")).to_have_value("medium")  # Cancel undid the change
    page.get_by_role("button", name="Edit ticket").click()
    expect(panel).to_be_visible()
    panel.get_by_label("Priority").select_option("high")
    page.screenshot(path=str(screenshot_dir / "wizard-2-ticket-panel.png"))
    panel.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Ticket properties saved.")).to_be_visible()
    expect(page.locator(".ticket-summary")).to_contain_text("High priority")
    page.screenshot(path=str(screenshot_dir / "wizard-2-assignment.png"), full_page=True)
    page.get_by_role("button", name="Next").click()

    # Step 3: copy, then customize with a refused and an accepted name.
    wait_for_step(page, "address")
    channel = EmailChannel.objects.get(workspace=admin.workspace)
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == channel.forwarding_address.address
    page.get_by_role("link", name="Customize address").click()
    customize = page.locator("#customize-dialog")
    expect(customize).to_be_visible()
    customize.get_by_label("Address name").fill("postmaster")
    customize.get_by_role("button", name="Save").click()
    expect(page.locator("#customize-dialog")).to_contain_text("is reserved")
    expect(page.locator("#customize-dialog input[aria-invalid=true]")).to_be_focused()
    page.screenshot(path=str(screenshot_dir / "wizard-3-customize-error.png"))
    page.locator("#customize-dialog").get_by_label("Address name").fill("acme-help")
    page.locator("#customize-dialog").get_by_role("button", name="Save").click()
    address = f"acme-help@{admin.workspace.hosted_domain}"
    expect(page.locator("#forwarding-address")).to_have_value(address)
    page.screenshot(path=str(screenshot_dir / "wizard-3-address.png"), full_page=True)
    page.get_by_role("button", name="Next").click()

    # Step 4: provider instructions; the confirmation code appears when it arrives.
    wait_for_step(page, "provider")
    before = swaps(page)
    page.get_by_label("Choose your email provider").select_option("outlook")
    expect(page.locator(".instructions")).to_contain_text("Mail > Forwarding")
    expect(page.locator(".instructions")).to_contain_text(address)
    # Outlook.com sends no confirmation, so nothing waits for one; Gmail does.
    expect(page.locator("#forwarding-confirmation")).to_contain_text("sends no confirmation")
    wait_for_swap_after(page, before)
    page.get_by_label("Choose your email provider").select_option("gmail")
    expect(page.locator("#forwarding-confirmation")).to_contain_text("Waiting for a confirmation")
    ForwardingConfirmation.objects.create(
        channel=channel,
        provider="gmail",
        requested_by="help@acme.example",
        code="317635984",
        confirm_url="https://mail-settings.google.com/mail/vf-example",
        received_at=timezone.now(),
    )
    expect(page.locator("[data-confirmation-code]")).to_have_text("317635984", timeout=15_000)
    page.screenshot(path=str(screenshot_dir / "wizard-4-provider.png"), full_page=True)
    page.get_by_role("button", name="Connect & finish").click()

    page.wait_for_url(f"{live_server.url}/settings/channels/")
    expect(page.get_by_text("Acme Widgets is connected")).to_be_visible()
    row = page.locator(f"#channel-{channel.pk}")
    expect(row).to_contain_text(address)
    expect(row).to_contain_text("Acme Widgets <help@acme.example>")
    expect(row).to_contain_text("317635984")
    page.screenshot(path=str(screenshot_dir / "wizard-5-channel-list.png"), full_page=True)
    channel.refresh_from_db()
    assert channel.status == "connected"
    assert channel.forwarding_address.locked_at is not None
    assert "<b>" in channel.signature_html and "{{first_name}}" in channel.signature_html
    assert channel.ticket_priority == "high"
    assert [user.first_name for user in channel.assign_users.all()] == ["Fox"]


def test_admin_walks_the_wizard_by_keyboard_at_phone_width(
    page, live_server, screenshot_dir
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    admin = AdminFactory(user__first_name="Kim")
    login(page, live_server, admin.user.username, PASSWORD)
    start_wizard(page, live_server)

    def fits_the_screen() -> bool:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .map((el) => el.tagName + '.' + el.className + '#' + el.id)"""
        )
        assert wide == [], wide
        return page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )

    company = page.get_by_role("textbox", name="Company name")
    company.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("Phone Co")
    expect(page.locator("[data-preview-from-name]")).to_contain_text("at Phone Co")
    assert fits_the_screen()
    page.screenshot(path=str(screenshot_dir / "phone-1-from.png"), full_page=True)
    page.keyboard.press("Enter")  # Enter means Next

    wait_for_step(page, "assignment")
    # Focus starts at the top of the new step, not lost on <body>.
    expect(page.locator("[data-step-heading]")).to_be_focused()
    switch = page.get_by_role("switch", name="Automatically assign threads")
    switch.focus()
    page.keyboard.press("Space")
    expect(switch).to_be_checked()
    page.keyboard.press("Tab")
    # Contact owner, chosen with the arrow keys inside the radio group.
    page.locator("input[name=assign_mode][value=users_and_teams]").focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("input[name=assign_mode][value=contact_owner]")).to_be_checked()
    expect(page.get_by_text("An owner must be set on the contact")).to_be_visible()
    edit_ticket = page.get_by_role("button", name="Edit ticket")
    edit_ticket.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#ticket-panel")).to_be_visible()
    assert focus_is_inside(page, "#ticket-panel")
    page.screenshot(path=str(screenshot_dir / "phone-2-ticket-panel.png"))
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#id_ticket_priority")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#id_ticket_priority")).to_have_value("high")
    page.keyboard.press("Escape")  # cancels: the change is undone
    expect(page.locator("#ticket-panel")).to_be_hidden()
    expect(page.locator("#id_ticket_priority")).to_have_value("medium")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Edit ticket"
    assert fits_the_screen()
    page.screenshot(path=str(screenshot_dir / "phone-2-assignment.png"), full_page=True)
    page.get_by_role("button", name="Next").focus()
    page.keyboard.press("Enter")

    wait_for_step(page, "address")
    page.get_by_role("button", name="Copy").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#copy-status")).to_have_text("Copied")
    page.get_by_role("link", name="Customize address").focus()
    page.keyboard.press("Enter")
    field = page.locator("#customize-dialog").get_by_label("Address name")
    expect(field).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("phone-team")
    page.keyboard.press("Enter")
    expect(page.locator("#forwarding-address")).to_have_value(
        f"phone-team@{admin.workspace.hosted_domain}"
    )
    assert fits_the_screen()
    page.screenshot(path=str(screenshot_dir / "phone-3-address.png"), full_page=True)
    page.get_by_role("button", name="Next").focus()
    page.keyboard.press("Enter")

    wait_for_step(page, "provider")
    assert fits_the_screen()
    page.screenshot(path=str(screenshot_dir / "phone-4-provider.png"), full_page=True)
    page.get_by_role("button", name="Connect & finish").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/settings/channels/")
    expect(page.get_by_text("Phone Co is connected")).to_be_visible()
    assert fits_the_screen()
    page.screenshot(path=str(screenshot_dir / "phone-5-channel-list.png"), full_page=True)


def test_back_reload_and_a_second_tab_lose_nothing(page, live_server, screenshot_dir) -> None:
    admin = AdminFactory()
    login(page, live_server, admin.user.username, PASSWORD)
    start_wizard(page, live_server)
    step_one = page.url
    page.get_by_role("textbox", name="Company name").fill("Kept Co")
    page.get_by_role("button", name="Next").click()
    wait_for_step(page, "assignment")
    assert page.url.endswith("/assignment/")
    page.get_by_role("switch", name="Treat incoming conversations as support tickets").uncheck()
    page.get_by_role("button", name="Next").click()
    wait_for_step(page, "address")

    page.go_back()
    page.wait_for_url(re.compile(r"/assignment/$"))
    expect(page.get_by_role("banner")).to_be_visible()  # a whole page, not a fragment
    expect(
        page.get_by_role("switch", name="Treat incoming conversations as support tickets")
    ).not_to_be_checked()
    page.go_back()
    page.wait_for_url(step_one)
    expect(page.get_by_role("textbox", name="Company name")).to_have_value("Kept Co")
    page.reload()
    expect(page.get_by_role("textbox", name="Company name")).to_have_value("Kept Co")

    second_tab = page.context.new_page()
    second_tab.goto(step_one.replace("/from/", "/address/"))
    expect(second_tab.locator("#forwarding-address")).to_have_value(
        EmailChannel.objects.get(workspace=admin.workspace).forwarding_address.address
    )
    second_tab.close()


def test_signature_toolbar_formats_links_images_and_tokens(page, live_server) -> None:
    admin = AdminFactory(user__first_name="Lee", user__last_name="Adams")
    login(page, live_server, admin.user.username, PASSWORD)
    start_wizard(page, live_server)
    page.locator("summary", has_text="Add team signature").click()
    area = page.locator("[data-signature-area]")
    area.click()
    page.keyboard.type("Kind regards")
    page.keyboard.press("Shift+Home")
    page.get_by_role("button", name="Italic").click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.locator("[data-insert-token]").select_option(label="Full name")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("Our site")
    # Select "Our site": underline it and make it a link (the Link dialog asks for the address;
    # tests/e2e/test_signature_editor.py covers the dialogs and image upload).
    page.keyboard.press("Shift+Home")
    page.get_by_role("button", name="Underline").click()
    page.get_by_role("button", name="Link").click()
    page.get_by_role("dialog", name="Insert a link").get_by_label("Address").fill(
        "https://acme.example/"
    )
    page.get_by_role("button", name="Insert link").click()

    signature = page.locator("[data-preview-signature]")
    expect(signature.locator("i").first).to_have_text("Kind regards", timeout=10_000)
    expect(signature).to_contain_text("Lee Adams")
    expect(signature.locator('a[href="https://acme.example/"]')).to_have_text("Our site")
    expect(signature.locator("u")).to_contain_text("Our site")

    page.get_by_role("button", name="Next").click()
    wait_for_step(page, "assignment")
    stored = EmailChannel.objects.get(workspace=admin.workspace).signature_html
    assert "{{full_name}}" in stored and "Lee Adams" not in stored
    assert '<a href="https://acme.example/" rel="noopener noreferrer">' in stored


UNLABELLED_FIELDS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, [contenteditable=true]'
)].filter((el) => el.getClientRects().length || el.closest('dialog'))
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby') && !el.classList.contains('visually-hidden'))
  .map((el) => el.outerHTML.slice(0, 80))"""


def test_every_field_of_every_step_has_a_label(page, live_server) -> None:
    admin = AdminFactory()
    ForwardingAddressFactory(channel__workspace=admin.workspace)
    login(page, live_server, admin.user.username, PASSWORD)
    start_wizard(page, live_server)
    base = page.url.removesuffix("from/")
    for step in ("from", "assignment", "address", "provider"):
        page.goto(base + f"{step}/")
        wait_for_step(page, step)
        page.locator("details").evaluate_all("(all) => all.forEach((d) => (d.open = true))")
        assert page.evaluate(UNLABELLED_FIELDS) == [], step
    page.goto(f"{live_server.url}/settings/channels/")
    assert page.evaluate(UNLABELLED_FIELDS) == []


def test_the_wizard_works_with_javascript_off(browser, live_server, screenshot_dir) -> None:
    admin = AdminFactory()
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 860}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, live_server, admin.user.username, PASSWORD)
        page.goto(f"{live_server.url}/settings/channels/connect/")
        page.get_by_role("button", name="Other email account").click()
        page.wait_for_url(re.compile(r"/connect/\d+/from/$"))
        page.get_by_role("textbox", name="Company name").fill("No Script Ltd")
        page.locator("summary", has_text="Add team signature").click()
        # Without JavaScript the toolbar editor stays hidden and the plain textarea is used.
        expect(page.locator("[data-signature-editor]")).to_be_hidden()
        page.locator("textarea[name=signature_html]").fill("<p>Thanks, {{full_name}}</p>")
        page.get_by_role("button", name="Next").click()
        page.wait_for_url(re.compile(r"/assignment/$"))
        page.get_by_role("button", name="Edit ticket").click()
        expect(page.locator("#ticket-panel")).to_be_visible()
        page.locator("#ticket-panel").get_by_label("Category").select_option("billing")
        page.locator("#ticket-panel").get_by_role("button", name="Save").click()
        expect(page.get_by_text("Ticket properties saved.")).to_be_visible()
        page.get_by_role("button", name="Next").click()
        page.wait_for_url(re.compile(r"/address/$"))
        page.get_by_role("link", name="Customize address").click()
        page.get_by_label("Address name").fill("no-script")
        page.locator("#customize-dialog").get_by_role("button", name="Save").click()
        expect(page.locator("#forwarding-address")).to_have_value(
            f"no-script@{admin.workspace.hosted_domain}"
        )
        page.get_by_role("button", name="Next").click()
        page.wait_for_url(re.compile(r"/provider/$"))
        page.get_by_label("Choose your email provider").select_option("fastmail")
        page.get_by_role("button", name="Save and show instructions").click()
        expect(page.locator(".instructions")).to_contain_text("Filters & Rules")
        page.screenshot(path=str(screenshot_dir / "nojs-4-provider.png"), full_page=True)
        page.get_by_role("button", name="Connect & finish").click()
        page.wait_for_url(f"{live_server.url}/settings/channels/")
        expect(page.get_by_text("No Script Ltd is connected")).to_be_visible()
    finally:
        context.close()
    channel = EmailChannel.objects.get(workspace=admin.workspace)
    assert channel.signature_html == "<p>Thanks, {{full_name}}</p>"
    assert channel.ticket_category == "billing"


def test_channel_list_test_email_and_disconnect(page, live_server, screenshot_dir) -> None:
    admin = AdminFactory()
    channel = ForwardingAddressFactory(
        channel__workspace=admin.workspace,
        channel__company_name="Listed Co",
        channel__name="Listed Co",
        channel__team_address="help@listed.example",
    ).channel
    login(page, live_server, admin.user.username, PASSWORD)
    page.goto(f"{live_server.url}/settings/channels/")
    row = page.locator(f"#channel-{channel.pk}")
    row.get_by_role("button", name="Send test email").click()
    expect(page.get_by_text("Test email sent to help@listed.example")).to_be_visible()
    expect(row.locator(".test-status")).to_contain_text("not back yet")
    channel.refresh_from_db()
    assert mail.outbox[-1].to == ["help@listed.example"]
    # Forwarding brings it back (the pipeline calls this service); the row polls and says so.
    channel_test_email_received(token=channel.test_email_token, at=timezone.now())
    expect(row.locator(".test-status")).to_contain_text("Test email came back", timeout=15_000)

    row.get_by_role("link", name="Disconnect").click()
    dialog = page.locator(f"#disconnect-{channel.pk}")
    expect(dialog).to_be_visible()
    assert focus_is_inside(page, f"#disconnect-{channel.pk}")
    page.screenshot(path=str(screenshot_dir / "channels-disconnect-dialog.png"))
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_be_hidden()
    channel.refresh_from_db()
    assert channel.status == "connected"
    row.get_by_role("link", name="Disconnect").click()
    dialog.get_by_role("button", name="Disconnect").click()
    expect(page.locator(f"#channel-{channel.pk}")).to_contain_text("Disconnected")
    page.locator(f"#channel-{channel.pk}").get_by_role("button", name="Reconnect").click()
    expect(page.locator(f"#channel-{channel.pk}")).to_contain_text("Connected")
    page.screenshot(path=str(screenshot_dir / "channels-list.png"), full_page=True)


# --- End to end through the real webhook ----------------------------------------------------

MAILGUN_SIGNING_KEY = "wizard-e2e-signing-key"
WEBHOOK_SECRET = "anymail:wizard-e2e-secret"


def post_to_mailgun(live_server, *, recipient: str, raw: str) -> int:
    timestamp, token = str(int(time.time())), hashlib.sha256(raw.encode()).hexdigest()[:50]
    signature = hmac.new(
        MAILGUN_SIGNING_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    body = urllib.parse.urlencode(
        {
            "recipient": recipient,
            "sender": "forwarding-noreply@google.com",
            "body-mime": raw,
            "timestamp": timestamp,
            "token": token,
            "signature": signature,
        }
    ).encode()
    request = urllib.request.Request(
        f"{live_server.url}/anymail/mailgun/inbound/",
        data=body,
        headers={
            "Authorization": "Basic " + base64.b64encode(WEBHOOK_SECRET.encode()).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # loopback only
        return response.status


def gmail_confirmation(*, to: str, requested_by: str, code: str) -> str:
    return (
        "From: Gmail Team <forwarding-noreply@google.com>\r\n"
        f"To: {to}\r\n"
        f"Subject: (#{code}) Gmail Forwarding Confirmation - Receive Mail from {requested_by}\r\n"
        "Message-ID: <gmail-confirmation-1@google.com>\r\n"
        "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
        f"{requested_by} has requested to automatically forward mail to your email\r\n"
        f"address {to}.\r\n"
        f"Confirmation code: {code}\r\n\r\n"
        f"To allow {requested_by} to automatically forward mail to your address,\r\n"
        "please click the link below to confirm the request:\r\n\r\n"
        "https://mail-settings.google.com/mail/vf-%5BANGjdJ8example%5D-example\r\n"
    )


def test_confirmation_code_and_customer_mail_arrive_through_the_mailgun_webhook(
    page, live_server, settings, screenshot_dir
) -> None:
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY,
        "WEBHOOK_SECRET": [WEBHOOK_SECRET],
    }
    admin = AdminFactory()
    login(page, live_server, admin.user.username, PASSWORD)
    start_wizard(page, live_server)
    page.get_by_role("textbox", name="Company name").fill("Webhook Co")
    page.get_by_role("button", name="Next").click()
    wait_for_step(page, "assignment")
    page.get_by_role("button", name="Next").click()
    wait_for_step(page, "address")
    address = page.locator("#forwarding-address").input_value()
    page.get_by_role("button", name="Next").click()
    wait_for_step(page, "provider")

    # Gmail's confirmation reaches the draft's address and shows up on the page.
    raw = gmail_confirmation(to=address, requested_by="help@webhook.example", code="482913577")
    assert post_to_mailgun(live_server, recipient=address, raw=raw) == 200
    expect(page.locator("[data-confirmation-code]")).to_have_text("482913577", timeout=15_000)
    page.get_by_role("button", name="Connect & finish").click()
    page.wait_for_url(f"{live_server.url}/settings/channels/")
    expect(page.get_by_text("482913577")).to_be_visible()

    # Then a customer's mail to the connected address lands in the inbox.
    customer = (
        "From: Carla Customer <carla@customer.example>\r\n"
        f"To: {address}\r\n"
        "Subject: My order never arrived\r\n"
        "Message-ID: <carla-1@customer.example>\r\n"
        "Date: Thu, 26 Nov 2026 10:05:00 +0000\r\n\r\n"
        "Hello, where is my order?\r\n"
    )
    assert post_to_mailgun(live_server, recipient=address, raw=customer) == 200
    page.goto(f"{live_server.url}/inbox/")
    expect(page.get_by_text("My order never arrived")).to_be_visible(timeout=15_000)
    page.screenshot(path=str(screenshot_dir / "webhook-inbox.png"), full_page=True)
