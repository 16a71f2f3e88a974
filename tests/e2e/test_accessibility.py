"""Accessibility checked by a tool: axe-core on every page of the wizard, the channel list, the
settings tabs, the inbox list and a thread (no serious or critical WCAG 2 A/AA violation), and
the wizard's first step used with the keyboard alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from channels_cfg.models import EmailChannel
from channels_cfg.services.wizard import channel_draft_start
from inbox.models import InboundEmail, Message
from tests.e2e.axe import assert_accessible, describe, new_axe_context, serious_violations
from tests.e2e.conftest import login
from tests.e2e.test_wizard import PASSWORD, wait_for_step
from tests.factories import (
    AdminFactory,
    BlockedSenderFactory,
    ContactFactory,
    ForwardingAddressFactory,
    InboundEmailFactory,
    MessageFactory,
    ThreadFactory,
    TicketFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STEPS = ("from", "assignment", "address", "provider")


@pytest.fixture(autouse=True)
def _mail_and_media(settings, tmp_path) -> Iterator[None]:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    expect.set_options(timeout=10_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def admin():
    """An admin whose workspace has a connected channel, a draft, threads and a blocked sender."""
    admin = AdminFactory(user__first_name="Dana", user__last_name="Scully")
    workspace = admin.workspace
    channel = ForwardingAddressFactory(
        channel__workspace=workspace,
        channel__company_name="Acme",
        channel__name="Acme support",
        channel__status=EmailChannel.Status.CONNECTED,
        channel__connected_at=timezone.now() - timedelta(days=3),
        channel__team_address="help@acme.example",
        channel__default_from_username="acme-support",
        channel__signature_html="<p>Best, {{first_name}}</p>",
    ).channel
    contact = ContactFactory(workspace=workspace, email="jane@customer.example", name="Jane Doe")
    for number in range(3):
        thread = ThreadFactory(
            workspace=workspace,
            channel=channel,
            contact=contact,
            subject=f"Printer on fire {number}",
            snippet="It started smoking",
            message_count=2,
        )
        TicketFactory(thread=thread)
        MessageFactory(
            thread=thread,
            text="It started smoking",
            html="<p>It started <b>smoking</b></p>",
            created_at=timezone.now() - timedelta(hours=2),
        )
        MessageFactory(
            thread=thread,
            direction=Message.Direction.OUT,
            from_email="support@acme.example",
            from_name="Dana Scully at Acme",
            to=contact.email,
            text="Have you tried water?",
            html="<p>Have you tried water?</p>",
            sent_by=admin.user,
            delivery_status=Message.DeliveryStatus.SENT,
        )
    ThreadFactory(workspace=workspace, confirmation=True, channel=channel)
    BlockedSenderFactory(workspace=workspace, value="spam@spammer.example")
    InboundEmailFactory(
        workspace=workspace,
        channel=channel,
        status=InboundEmail.Status.REJECTED,
        reason_code="too_large",
        reason_detail="The message is larger than 30 MB.",
    )
    channel_draft_start(workspace=workspace, created_by=admin.user)
    return admin


def audit(page, where: str, found: dict[str, str]) -> None:
    violations = serious_violations(page)
    if violations:
        found[f"{where} ({page.url})"] = describe(violations)


def report(found: dict[str, str]) -> str:
    return "axe found serious or critical problems:\n\n" + "\n\n".join(
        f"{where}\n{details}" for where, details in found.items()
    )


def test_the_wizard_has_no_serious_accessibility_violations(audited, live_server, admin) -> None:
    page = audited
    login(page, live_server, admin.user.username, PASSWORD)
    found: dict[str, str] = {}
    page.goto(f"{live_server.url}/settings/channels/connect/")
    audit(page, "Connect a channel", found)
    draft = EmailChannel.objects.filter(
        workspace=admin.workspace, status=EmailChannel.Status.DRAFT
    ).get()
    base = f"{live_server.url}/settings/channels/connect/{draft.pk}/"
    for step in STEPS:
        page.goto(base + f"{step}/")
        wait_for_step(page, step)
        page.locator("details").evaluate_all("(all) => all.forEach((d) => (d.open = true))")
        audit(page, f"wizard step {step}", found)
    # Step 1's dialogs, open.
    page.goto(base + "from/")
    wait_for_step(page, "from")
    page.locator("summary", has_text="Add team signature").click()
    for button, dialog in (("Link", "Insert a link"), ("Image", "Insert an image")):
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.get_by_role("dialog", name=dialog)).to_be_visible()
        audit(page, f"wizard step from, dialog {dialog}", found)
        page.keyboard.press("Escape")
    page.goto(base + "from/?dialog=verify")
    wait_for_step(page, "from")
    audit(page, "wizard step from, verify dialog", found)
    # Step 1 as htmx swaps it back with an error next to a field.
    page.goto(base + "from/")
    wait_for_step(page, "from")
    page.get_by_role("textbox", name="Company name").fill("")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#id_company_name-error")).to_be_visible()
    audit(page, "wizard step from with an error", found)
    # A connected channel's edit pages (the wizard's first two steps).
    channel = EmailChannel.objects.get(workspace=admin.workspace, status="connected")
    for path in ("edit/", "edit/assignment/"):
        page.goto(f"{live_server.url}/settings/channels/{channel.pk}/{path}")
        page.locator("details").evaluate_all("(all) => all.forEach((d) => (d.open = true))")
        audit(page, f"edit {path}", found)
    assert not found, report(found)


def test_settings_tabs_have_no_serious_accessibility_violations(
    audited, live_server, admin
) -> None:
    page = audited
    login(page, live_server, admin.user.username, PASSWORD)
    found: dict[str, str] = {}
    page.goto(f"{live_server.url}/settings/channels/")
    tabs = page.locator("nav.settings-tabs a").evaluate_all(
        "(links) => links.map((link) => [link.textContent.trim(), link.href])"
    )
    assert len(tabs) >= 3, tabs
    for name, url in tabs:
        page.goto(url)
        audit(page, f"settings tab {name}", found)
    assert not found, report(found)


def test_the_inbox_and_a_thread_have_no_serious_accessibility_violations(
    audited, live_server, admin
) -> None:
    page = audited
    login(page, live_server, admin.user.username, PASSWORD)
    found: dict[str, str] = {}
    page.goto(f"{live_server.url}/inbox/")
    audit(page, "inbox list", found)
    thread = admin.workspace.threads.filter(contact__isnull=False).first()
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")
    audit(page, "a thread", found)
    confirmation = admin.workspace.threads.filter(contact__isnull=True).first()
    page.goto(f"{live_server.url}/inbox/threads/{confirmation.pk}/")
    audit(page, "a forwarding confirmation thread", found)
    assert not found, report(found)


# --- Keyboard alone ---------------------------------------------------------------------------

# Elements a keyboard user must be able to reach in the step form: visible, enabled, not taken
# out of the tab order; of a radio group only the checked radio (arrows move within a group).
REACHABLE = """() => {
  const form = document.getElementById("step-form");
  const all = [...form.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [contenteditable=true], [tabindex]'
  )].filter((el) => el.getClientRects().length && !el.disabled
      // Chrome reports tabIndex -1 for a contenteditable without the attribute, yet tabs to it.
      && (el.isContentEditable ? el.getAttribute("tabindex") !== "-1" : el.tabIndex >= 0)
      && !el.closest('[hidden], dialog:not([open])'));
  const seen = new Set();
  return all.filter((el) => {
    if (el.type !== "radio") return true;
    const group = [...form.querySelectorAll(`input[type=radio][name="${el.name}"]`)];
    const chosen = group.find((radio) => radio.checked) || group[0];
    if (seen.has(el.name) || el !== chosen) return false;
    seen.add(el.name);
    return true;
  }).map((el, index) => { el.dataset.kb = String(index); return el.dataset.kb; });
}"""

# The focused element, and whether its focus can be seen (an outline or a focus ring shadow,
# on it or on the editor that wraps the contenteditable area).
FOCUSED = """() => {
  const el = document.activeElement;
  const ringed = el.matches("[contenteditable=true]") ? el.closest(".sig-editor") : el;
  const style = getComputedStyle(ringed);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== "none";
  return {
    kb: el.dataset.kb || null,
    tag: el.tagName.toLowerCase(),
    name: (el.getAttribute("aria-label") || el.textContent || el.name || el.id || "").trim().slice(0, 40),
    visible: outline || shadow,
    summary: el.tagName === "SUMMARY",
  };
}"""


def test_the_wizards_first_step_works_with_the_keyboard_alone(page, live_server) -> None:
    admin = AdminFactory(user__first_name="Dana", user__last_name="Scully")
    draft = channel_draft_start(workspace=admin.workspace, created_by=admin.user)
    login(page, live_server, admin.user.username, PASSWORD)
    page.goto(f"{live_server.url}/settings/channels/connect/{draft.pk}/from/")
    wait_for_step(page, "from")

    reached: list[str] = []
    invisible: list[dict[str, object]] = []
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        # As a keyboard user would: open "Add team signature", choose a custom from address
        # with the arrow keys (its field and Verify button appear after the radios).
        if focused["summary"] and not page.locator("details.signature").evaluate("(d) => d.open"):
            page.keyboard.press("Enter")
        if page.evaluate(
            "() => document.activeElement.matches('[name=from_address_mode][value=default]')"
        ):
            page.keyboard.press("ArrowDown")
        if focused["kb"] is None:
            # Outside the step form (header, preview...): the form's elements are marked once
            # Tab first reaches the form.
            if page.evaluate(
                "() => document.getElementById('step-form').contains(document.activeElement)"
            ):
                page.evaluate(REACHABLE)
                focused = page.evaluate(FOCUSED)
            else:
                continue
        if not focused["visible"]:
            invisible.append(focused)
        if focused["kb"] is not None and focused["kb"] not in reached:
            reached.append(focused["kb"])

    expected = page.evaluate(REACHABLE)
    names = page.evaluate(
        "(ids) => ids.map((id) => document.querySelector(`[data-kb='${id}']`).outerHTML.slice(0, 90))",
        [kb for kb in expected if kb not in reached],
    )
    assert names == [], f"never reached with Tab: {names}"
    assert invisible == [], f"focus not visible on: {invisible}"
    # The pass saw the whole step: the custom address field and the signature editor included.
    assert len(reached) >= 14, reached
    assert page.locator("[data-kb][contenteditable=true]").count() == 1
    assert page.locator("[data-kb][name=custom_from_address]").count() == 1

    # Enter in a field means Next: the step is saved and the next one shown.
    page.locator("input[name=from_address_mode][value=custom]").focus()
    page.keyboard.press("ArrowUp")  # back to the default from address
    field = page.get_by_role("textbox", name="Company name")
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("Acme Keyboard")
    page.keyboard.press("Enter")
    wait_for_step(page, "assignment")
    draft.refresh_from_db()
    assert draft.company_name == "Acme Keyboard"


def test_pages_at_phone_width_have_no_serious_accessibility_violations(
    browser, live_server, admin
) -> None:
    context = new_axe_context(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, live_server, admin.user.username, PASSWORD)
        found: dict[str, str] = {}
        draft = EmailChannel.objects.get(workspace=admin.workspace, status="draft")
        thread = admin.workspace.threads.filter(contact__isnull=False).first()
        for where, path in (
            ("inbox list", "/inbox/"),
            ("a thread", f"/inbox/threads/{thread.pk}/"),
            ("channel list", "/settings/channels/"),
            ("wizard step from", f"/settings/channels/connect/{draft.pk}/from/"),
            ("wizard step provider", f"/settings/channels/connect/{draft.pk}/provider/"),
        ):
            page.goto(live_server.url + path)
            audit(page, f"{where} at 390 px", found)
        assert not found, report(found)
    finally:
        context.close()


def test_the_audit_fails_with_a_readable_list(audited, live_server, admin) -> None:
    """The check can fail: an unlabelled field and a nameless button are reported by rule,
    with where they are."""
    page = audited
    login(page, live_server, admin.user.username, PASSWORD)
    page.goto(f"{live_server.url}/settings/channels/")
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML("beforeend",
            '<input id="probe-field"><button id="probe-button"></button>')"""
    )
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, "the channel list with two broken controls")
    message = str(failure.value)
    assert "[critical] label: Form elements must have labels" in message
    assert '["#probe-field"]' in message
    assert "button-name" in message and '["#probe-button"]' in message
