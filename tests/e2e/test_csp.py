"""The Content-Security-Policy in a real Chromium: our pages break none of it, htmx still works,
an injected inline script does not run, and mail keeps its styles inside the message frame
(which inherits the page's policy)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.e2e.test_inbox import LIVE_TIMEOUT, arrive
from tests.e2e.test_wizard import start_wizard, wait_for_step
from tests.factories import AdminFactory, EmailChannelFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"

# Runs in every document before its own scripts (Playwright injects it outside the page's CSP).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCsp(`${event.violatedDirective} ${event.blockedURI} ${event.sample || ""}`);
});
"""


class Watch:
    """CSP violations, console errors and page errors seen by a page."""

    def __init__(self, page) -> None:
        self.violations: list[str] = []
        self.console: list[str] = []
        page.context.expose_binding(
            "__reportCsp", lambda _source, text: self.violations.append(text)
        )
        page.context.add_init_script(REPORT_VIOLATIONS)
        page.on(
            "console",
            lambda message: (
                self.console.append(message.text) if message.type in {"error", "warning"} else None
            ),
        )
        page.on("pageerror", lambda error: self.console.append(str(error)))

    def assert_clean(self) -> None:
        assert self.violations == []
        assert [text for text in self.console if "Content Security Policy" in text] == []
        assert self.console == []


def test_the_inbox_and_a_thread_break_no_policy_and_stay_live(page, live_server) -> None:
    watch = Watch(page)
    admin = AdminFactory(user__first_name="Ada", user__last_name="Lovelace")
    channel = EmailChannelFactory(workspace=admin.workspace, company_name="Acme")
    login(page, live_server, admin.user.username, PASSWORD)
    assert page.evaluate("document.querySelectorAll('style').length") == 0  # htmx added none

    # The live poll (htmx, every 5 s) still brings new conversations in.
    thread = arrive(channel, subject="Printer on fire", text="It is smoking.")
    row = page.locator(f'[data-thread-id="{thread.pk}"]')
    row.wait_for(timeout=LIVE_TIMEOUT)

    # A mail's own styles still apply inside its frame, and its text shows.
    thread.messages.update(html='<p style="color: rgb(200, 0, 0)">Red and <b>bold</b></p>')
    row.get_by_role("link").click()
    page.wait_for_url(f"**/inbox/threads/{thread.pk}/**")
    frame = page.locator("iframe.message__frame").element_handle().content_frame()
    frame.wait_for_load_state()
    assert "Red and bold" in frame.inner_text("body")
    color = frame.evaluate("getComputedStyle(document.querySelector('p')).color")
    assert color == "rgb(200, 0, 0)"
    # The frame's own stylesheet (allowed by its hash) applied too.
    assert frame.evaluate("getComputedStyle(document.body).marginTop") == "0px"

    # An htmx action on the thread page: assignment swaps its part of the page.
    page.get_by_role("button", name="Assign to me").click()
    page.get_by_test_id("assignee").filter(has_text="Ada Lovelace").wait_for()
    watch.assert_clean()

    # The policy is enforced: an inline script injected into the page does not run.
    page.evaluate(
        """() => {
      const script = document.createElement("script");
      script.textContent = "window.injected = true";
      document.body.append(script);
    }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.injected === undefined")
    assert any(text.startswith("script-src") for text in watch.violations)


def test_the_wizard_breaks_no_policy_and_its_htmx_steps_work(page, live_server) -> None:
    watch = Watch(page)
    admin = AdminFactory(user__first_name="Dana", user__last_name="Scully")
    login(page, live_server, admin.user.username, PASSWORD)
    start_wizard(page, live_server)

    # The preview follows the typing (an htmx request per change), and the signature editor
    # (wizard.js) works.
    page.get_by_role("textbox", name="Company name").fill("Acme Widgets")
    expect(page.locator("[data-preview-from-name]")).to_have_text("Dana Scully at Acme Widgets")
    page.locator("summary", has_text="Add team signature").click()
    page.locator("[data-signature-area]").click()
    page.keyboard.type("Best, ")
    page.get_by_role("button", name="Bold").click()
    page.keyboard.type("Acme")
    expect(page.locator("[data-preview-signature]")).to_contain_text("Best, Acme")

    # The next step arrives through htmx.
    page.get_by_role("button", name="Next").click()
    wait_for_step(page, "assignment")
    expect(page).to_have_url(re.compile(r"/connect/\d+/assignment/$"))
    watch.assert_clean()
