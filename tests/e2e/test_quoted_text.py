"""A reply's quoted history in a real Chromium: folded under what is new, revealed by the native
"Show quoted text" toggle, with no script (the page's CSP forbids inline ones, the frames all)."""

from __future__ import annotations

import pytest
from django.utils import timezone

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
REPLY_HTML = (
    '<div dir="ltr">Thanks, the printer works again.</div><br><div class="gmail_quote">'
    '<div dir="ltr" class="gmail_attr">On Mon, 3 Mar 2025 at 10:00, Ada Support '
    "&lt;support@acme.example&gt; wrote:<br></div>"
    '<blockquote class="gmail_quote">Try turning it off and on again.<br>Ada</blockquote></div>'
)
REPLY_TEXT = (
    "Thanks, the fax works too.\n\nLe lun. 3 mars 2025 à 10:00, Ada Support "
    "<support@acme.example> a écrit :\n> Unplug the fax for a minute.\n"
)


def test_the_toggle_reveals_the_quoted_history_of_html_and_text_replies(page, live_server):
    agent = AgentFactory()
    channel = EmailChannelFactory(workspace=agent.workspace, company_name="Acme")
    contact = ContactFactory(workspace=agent.workspace, email="jane@customer.example")
    now = timezone.now()
    thread = ThreadFactory(
        workspace=agent.workspace,
        channel=channel,
        contact=contact,
        subject="Printer",
        last_message_at=now,
        message_count=2,
    )
    MessageFactory(thread=thread, from_email=contact.email, html=REPLY_HTML, created_at=now)
    MessageFactory(
        thread=thread, from_email=contact.email, text=REPLY_TEXT, html="", created_at=now
    )
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    login(page, live_server, agent.user.username, PASSWORD)
    page.goto(f"{live_server.url}/inbox/threads/{thread.pk}/")

    new_frame = page.frame_locator("article iframe.message__frame").first
    new_frame.get_by_text("Thanks, the printer works again.").wait_for()
    toggles = page.locator("details.message__quoted")
    assert toggles.count() == 2
    quoted_frame = toggles.nth(0).locator("iframe")
    assert not quoted_frame.is_visible()
    assert not page.get_by_text("Unplug the fax for a minute.").is_visible()
    assert page.get_by_text("Thanks, the fax works too.").is_visible()

    toggles.nth(0).get_by_text("Show quoted text").click()
    assert quoted_frame.is_visible()
    history = toggles.nth(0).frame_locator("iframe")
    history.get_by_text("Try turning it off and on again.").wait_for()
    assert new_frame.get_by_text("Try turning it off and on again.").count() == 0

    toggles.nth(1).get_by_text("Show quoted text").click()
    assert page.get_by_text("Unplug the fax for a minute.").is_visible()
    assert violations == []
