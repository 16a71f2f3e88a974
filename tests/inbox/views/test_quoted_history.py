"""The thread page shows what is new in each incoming message and folds its quoted history and
signature behind a native "Show quoted text" toggle (no script: the app's CSP forbids it)."""

from __future__ import annotations

import html

import pytest

from inbox.models import Message
from tests.inbox.conftest import inbound

pytestmark = pytest.mark.django_db

REPLY_TEXT = (
    "Thanks, that works.\n\n"
    "On Mon, 3 Mar 2025 at 10:00, Ada Support <support@acme.example> wrote:\n"
    "> Try turning it off and on.\n> Ada\n"
)
REPLY_HTML = (
    '<div dir="ltr">Thanks, that works.</div><br><div class="gmail_quote">'
    '<div dir="ltr" class="gmail_attr">On Mon, 3 Mar 2025 at 10:00, Ada Support '
    "&lt;support@acme.example&gt; wrote:<br></div>"
    '<blockquote class="gmail_quote">Try turning it off and on.<br>Ada</blockquote></div>'
)


def page_parts(agent_client, thread, message: Message) -> tuple[str, str]:
    """(the message's article up to its toggle, what the toggle holds), unescaped."""
    page = agent_client.get(f"/inbox/threads/{thread.pk}/").content.decode()
    article = page.split(f'id="message-{message.pk}"', 1)[1].split("</article>", 1)[0]
    shown, _, folded = article.partition('<details class="message__quoted"')
    return html.unescape(shown), html.unescape(folded.split("</details>", 1)[0])


def test_plain_text_reply_shows_the_new_part_and_folds_the_quote(agent_client, conversation):
    message = inbound(conversation, text=REPLY_TEXT, html="")
    shown, folded = page_parts(agent_client, conversation, message)
    assert "Thanks, that works." in shown and "Try turning it off" not in shown
    assert "<summary>Show quoted text</summary>" in folded
    assert "Try turning it off and on." in folded and "Ada Support" in folded


def test_html_reply_shows_the_new_part_in_one_frame_and_the_history_in_another(
    agent_client, conversation
):
    message = inbound(conversation, text=REPLY_TEXT, html=REPLY_HTML)
    shown, folded = page_parts(agent_client, conversation, message)
    assert "Thanks, that works." in shown and "Try turning it off" not in shown
    assert "Try turning it off and on." in folded and "Thanks, that works." not in folded
    # Both halves are sandboxed frames, and the stored message is untouched.
    assert shown.count("<iframe") == 1 and folded.count("<iframe") == 1
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in folded
    message.refresh_from_db()
    assert (message.text, message.html) == (REPLY_TEXT, REPLY_HTML)


def test_a_trailing_signature_is_folded_too(agent_client, conversation):
    message = inbound(conversation, text="See you then.\n\n-- \nJane Doe\nCustomer Ltd\n", html="")
    shown, folded = page_parts(agent_client, conversation, message)
    assert "See you then." in shown and "Customer Ltd" not in shown
    assert "Customer Ltd" in folded


def test_a_message_that_is_all_quote_shows_whole(agent_client, conversation):
    message = inbound(conversation, text="> Try turning it off and on.\n> Ada\n", html="")
    shown, folded = page_parts(agent_client, conversation, message)
    assert "Try turning it off and on." in shown and folded == ""


def test_our_own_replies_are_never_folded(agent_client, conversation):
    message = inbound(conversation, text=REPLY_TEXT, html="", direction=Message.Direction.OUT)
    shown, folded = page_parts(agent_client, conversation, message)
    assert "Try turning it off and on." in shown and folded == ""
