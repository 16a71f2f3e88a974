"""Issue 13's layout defects at a phone's width (390 px) and in the connect wizard, measured in a
real Chromium: element boxes, clipping, where lines break; screenshots in test-artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from channels_cfg.models import EmailChannel
from tests.e2e.conftest import login
from tests.factories import (
    AdminFactory,
    AgentFactory,
    ContactFactory,
    EmailChannelFactory,
    ForwardingAddressFactory,
    MessageFactory,
    ThreadFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
PHONE = {"width": 390, "height": 844}

# How many distinct rows the children of `sel` sit on (boxes whose vertical centres differ).
ROWS = """(sel) => {
  const boxes = [...document.querySelector(sel).children]
    .filter((el) => el.getClientRects().length)
    .map((el) => el.getBoundingClientRect());
  const rows = [];
  for (const box of boxes) {
    const middle = box.top + box.height / 2;
    if (!rows.some((row) => middle >= row.top && middle <= row.bottom)) rows.push(box);
  }
  return rows.length;
}"""
# Elements whose text is cut off (it needs more room than the box gives it).
CLIPPED = """(sel) => [...document.querySelectorAll(sel)]
  .filter((el) => el.scrollWidth > el.clientWidth + 1)
  .map((el) => el.textContent.trim())"""
# Whether a select is wide enough for its chosen option's text (a canvas measures it in the
# select's own font; 34 px for padding and the arrow).
SELECT_FITS = """(sel) => [...document.querySelectorAll(sel)].map((select) => {
  const style = getComputedStyle(select);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const longest = Math.max(...[...select.options].map((o) => context.measureText(o.text).width));
  return { name: select.name, fits: select.clientWidth >= longest + 34, width: select.clientWidth, needs: longest + 34 };
})"""
# The characters right before each line break inside the element's text.
BREAKS_AFTER = """(sel) => {
  const el = document.querySelector(sel);
  const text = el.firstChild.textContent === el.textContent ? el.firstChild : null;
  const range = document.createRange();
  const found = [];
  let lastTop = null;
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let previous = "";
  while (walker.nextNode()) {
    const node = walker.currentNode;
    for (let i = 0; i < node.length; i++) {
      range.setStart(node, i); range.setEnd(node, i + 1);
      const rect = range.getBoundingClientRect();
      if (!rect.width) continue;
      if (lastTop !== null && rect.top > lastTop + 2) found.push(previous);
      lastTop = rect.top; previous = node.data[i];
    }
  }
  return found;
}"""


def phone_page(browser, live_server, username: str):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, username, PASSWORD)
    return context, page


@pytest.fixture
def workspace_with_thread():
    admin = AdminFactory(user__first_name="Ada", user__last_name="Admin")
    workspace = admin.workspace
    AgentFactory(
        workspace=workspace, user__first_name="Bartholomew", user__last_name="Featherstonehaugh"
    )
    channel = EmailChannelFactory(workspace=workspace, company_name="Acme")
    ForwardingAddressFactory(channel=channel)
    contact = ContactFactory(
        workspace=workspace, email="jane@customer-company.example", name="Jane"
    )
    thread = ThreadFactory(
        workspace=workspace,
        channel=channel,
        contact=contact,
        subject="The printer is on fire again",
        last_message_at=timezone.now() - timedelta(days=2, hours=3),
    )
    MessageFactory(thread=thread, text="It smokes.", from_name="Jane")
    return admin, thread


def test_thread_header_actions_fit_two_rows_and_buttons_look_like_buttons(
    browser, live_server, workspace_with_thread, screenshot_dir
):
    admin, thread = workspace_with_thread
    context, page = phone_page(browser, live_server, admin.user.username)
    try:
        page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
        page.screenshot(path=str(screenshot_dir / "phone-thread.png"))
        assert page.evaluate(ROWS, ".thread-header__actions") <= 2
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        # Every action is a button with a visible edge (a border or a fill), not bare text.
        looks = page.evaluate(
            """() => [...document.querySelectorAll('.thread-header__actions .button, .thread-header__actions summary')]
              .filter((el) => el.getClientRects().length)
              .map((el) => { const s = getComputedStyle(el);
                return { text: el.textContent.trim(), edge: s.borderTopStyle !== 'none' && s.borderTopWidth !== '0px' && s.borderTopColor !== 'rgba(0, 0, 0, 0)' || s.backgroundColor !== 'rgba(0, 0, 0, 0)' }; })"""
        )
        assert looks and all(item["edge"] for item in looks), looks
        assert page.evaluate(ROWS, ".app-header") <= 2
        # The actions tucked under "More" still work.
        page.locator(".thread-more:not(.snooze-menu) summary").click()
        expect(page.get_by_role("button", name="Block sender")).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "phone-thread-more.png"))
        menu = page.locator(".thread-more:not(.snooze-menu) .thread-more__menu").bounding_box()
        assert menu is not None and menu["x"] >= 0 and menu["x"] + menu["width"] <= PHONE["width"]
    finally:
        context.close()


def test_list_timestamps_and_assignee_filter_are_not_clipped(
    browser, live_server, workspace_with_thread, screenshot_dir
):
    admin, _thread = workspace_with_thread
    context, page = phone_page(browser, live_server, admin.user.username)
    try:
        page.goto(f"{live_server.url}/inbox/")
        page.screenshot(path=str(screenshot_dir / "phone-list.png"))
        assert page.evaluate(CLIPPED, ".thread-row__time") == []
        assert all(
            item["fits"]
            for item in page.evaluate(SELECT_FITS, ".list-filters select[name=assignee]")
        )
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        page.set_viewport_size({"width": 1280, "height": 860})
        assert page.evaluate(CLIPPED, ".thread-row__time") == []
        assert all(
            item["fits"]
            for item in page.evaluate(SELECT_FITS, ".list-filters select[name=assignee]")
        )
    finally:
        context.close()


def test_forwarding_addresses_break_only_after_the_at_sign_or_a_dot(
    browser, live_server, screenshot_dir
):
    admin = AdminFactory()
    channel = EmailChannelFactory(workspace=admin.workspace, company_name="Acme")
    ForwardingAddressFactory(
        channel=channel,
        address=f"acme-international-holdings-support-7f3k@{admin.workspace.hosted_domain}",
    )
    context, page = phone_page(browser, live_server, admin.user.username)
    try:
        page.goto(f"{live_server.url}/settings/channels/")
        page.screenshot(path=str(screenshot_dir / "phone-channels.png"), full_page=True)
        breaks = page.evaluate(BREAKS_AFTER, ".channel-table code.address")
        assert all(char in "@." for char in breaks), breaks
        assert page.evaluate("() => document.documentElement.scrollWidth <= 390")
    finally:
        context.close()


def test_no_favicon_404_and_no_console_error(page, live_server, workspace_with_thread):
    admin, thread = workspace_with_thread
    errors: list[str] = []
    missing: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("response", lambda response: response.status == 404 and missing.append(response.url))
    login(page, live_server, admin.user.username, PASSWORD)
    for url in ("/inbox/", f"/inbox/threads/{thread.pk}/", "/settings/channels/"):
        page.goto(live_server.url + url)
        icon = page.evaluate("() => document.querySelector('link[rel=icon]').href")
        assert icon == f"{live_server.url}/static/favicon.svg"
        assert page.evaluate(f"() => fetch('{icon}').then((r) => r.status)") == 200
    page.goto(live_server.url + "/favicon.ico")  # what browsers ask for regardless
    assert page.url == f"{live_server.url}/static/favicon.svg"
    page.wait_for_timeout(300)
    assert missing == [] and errors == []


def test_a_taken_company_name_error_clears_while_typing(page, live_server):
    admin = AdminFactory()
    taken = EmailChannelFactory(workspace=admin.workspace, company_name="Acme Sales")
    ForwardingAddressFactory(channel=taken)
    login(page, live_server, admin.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/")
    page.get_by_role("link", name="Inbox settings").click()
    page.wait_for_url(f"{live_server.url}/settings/channels/")
    page.get_by_role("link", name="Connect a channel").first.click()
    page.get_by_role("button", name="Other email account").click()
    page.wait_for_url(re.compile(r"/connect/\d+/from/$"))
    field = page.get_by_role("textbox", name="Company name")
    field.fill("acme sales")
    page.get_by_role("button", name="Next").click()
    error = page.locator("#id_company_name-error")
    expect(error).to_be_visible()
    expect(field).to_have_attribute("aria-invalid", "true")
    field.press("End")
    page.keyboard.type(" EU")
    expect(error).to_be_hidden()
    expect(field).not_to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(r"/assignment/$"))
    draft = EmailChannel.objects.get(status=EmailChannel.Status.DRAFT)
    assert draft.company_name == "acme sales EU"
    assert draft.forwarding_address.address.startswith("acme-sales-eu-")


def test_outlook_shows_no_endless_wait(page, live_server, screenshot_dir):
    admin = AdminFactory()
    login(page, live_server, admin.user.username, PASSWORD)
    page.goto(f"{live_server.url}/settings/channels/connect/")
    page.get_by_role("button", name="Other email account").click()
    page.wait_for_url(re.compile(r"/connect/\d+/from/$"))
    base = page.url.removesuffix("from/")
    page.goto(base + "provider/")
    page.get_by_label("Choose your email provider").select_option("outlook")
    expect(page.locator(".instructions h3")).to_have_text("Outlook.com")
    expect(page.locator("#forwarding-confirmation")).to_contain_text("sends no confirmation")
    expect(page.get_by_text("Waiting for a confirmation")).to_have_count(0)
    expect(page.locator("[data-size-limit]")).to_have_text(
        "The maximum email size is 30 MB, including attachments."
    )
    page.screenshot(path=str(screenshot_dir / "provider-outlook.png"), full_page=True)


def test_the_articles_path_from_the_inbox_to_the_confirmation_code(
    page, live_server, screenshot_dir
):
    """Inbox settings > Connect a channel > Other email account > ... > Connect & finish, then
    the confirmation code Gmail sent, in the inbox's Forwarding confirmations."""
    from inbox.models import Thread
    from inbox.services.intake import inbound_email_receive
    from tests.inbox.inbound.conftest import fixture_bytes

    admin = AdminFactory()
    login(page, live_server, admin.user.username, PASSWORD)
    page.get_by_role("link", name="Inbox settings").click()
    page.get_by_role("link", name="Connect a channel").first.click()
    page.get_by_role("button", name="Other email account").click()
    page.wait_for_url(re.compile(r"/connect/\d+/from/$"))
    page.get_by_role("textbox", name="Company name").fill("Acme Billing")
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(r"/assignment/$"))
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(r"/address/$"))
    address = page.locator("#forwarding-address").input_value()
    assert address.startswith("acme-billing-")
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(r"/provider/$"))
    expect(page.get_by_text("Waiting for a confirmation")).to_be_visible()
    raw = fixture_bytes("gmail_confirmation.eml").replace(
        b"team-1@acme.inbox.localhost", address.encode()
    )
    inbound_email_receive(raw=raw, esp="test", envelope_recipient=address)
    expect(page.locator("[data-confirmation-code]")).to_have_text("123456789", timeout=15_000)
    page.get_by_role("button", name="Connect & finish").click()
    page.wait_for_url(f"{live_server.url}/settings/channels/")
    page.get_by_role("link", name="Inbox", exact=True).first.click()
    page.get_by_role("link", name=re.compile(r"^Forwarding confirmations")).click()
    row = page.locator(".thread-row").first
    expect(row.locator("[data-confirmation-code]")).to_have_text("123456789")
    expect(row.get_by_role("link", name="Open the confirmation link")).to_have_attribute(
        "href", re.compile(r"^https://mail-settings\.google\.com/")
    )
    page.screenshot(path=str(screenshot_dir / "inbox-confirmations.png"), full_page=True)
    row.locator(".thread-row__link").click()
    expect(page.locator("[data-forwarding-confirmation] [data-confirmation-code]")).to_have_text(
        "123456789"
    )
    page.screenshot(path=str(screenshot_dir / "inbox-confirmation-thread.png"), full_page=True)
    assert Thread.objects.get().contact is None
