"""Saved reply tokens, as a table: values escaped, missing ones marked, unknown ones kept."""

from __future__ import annotations

import pytest

from inbox.saved_reply_tokens import TokenValues, first_name, missing_tokens, render_tokens

FULL = TokenValues(
    contact_name="Jane Doe",
    agent_first_name="Ada",
    agent_full_name="Ada Lovelace",
    ticket_id="42",
    channel_name="Acme Support",
)
MARK = '<mark class="token-missing">[{}]</mark>'


@pytest.mark.parametrize(
    ("body", "values", "expected"),
    [
        ("<p>Hi {{contact.first_name}},</p>", FULL, "<p>Hi Jane,</p>"),
        ("{{contact.name}}", FULL, "Jane Doe"),
        ("{{agent.first_name}} / {{agent.full_name}}", FULL, "Ada / Ada Lovelace"),
        ("Ticket #{{ticket.id}} at {{channel.name}}", FULL, "Ticket #42 at Acme Support"),
        ("{{ contact.first_name }}", FULL, "Jane"),
        ("Hi {{contact.first_name}}", TokenValues(), "Hi " + MARK.format("contact.first_name")),
        ("#{{ticket.id}}", TokenValues(contact_name="J"), "#" + MARK.format("ticket.id")),
        (
            "{{contact.name}}",
            TokenValues(contact_name='<script>alert("x")</script> & Co'),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co",
        ),
        ("{{contact.nickname}} {{foo}}", FULL, "{{contact.nickname}} {{foo}}"),
        ("{{contact.first_name}}{{contact.first_name}}", FULL, "JaneJane"),
        ("No tokens at all", TokenValues(), "No tokens at all"),
        (
            "Hi {{contact.first_name}}",
            TokenValues(contact_name="   "),
            "Hi " + MARK.format("contact.first_name"),
        ),
    ],
)
def test_render_tokens(body: str, values: TokenValues, expected: str) -> None:
    assert render_tokens(body, values) == expected


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("Jane Doe", "Jane"),
        ("  Jane  ", "Jane"),
        ('"Jane Doe"', "Jane"),
        ("Doe, Jane", "Jane"),
        ("", ""),
        ("   ", ""),
        ("Mary-Ann O'Neil", "Mary-Ann"),
    ],
)
def test_first_name(name: str, first: str) -> None:
    assert first_name(name) == first


def test_missing_tokens_lists_each_missing_known_token_once_in_order() -> None:
    body = "{{ticket.id}} {{contact.first_name}} {{ticket.id}} {{agent.first_name}} {{nope.x}}"
    values = TokenValues(agent_first_name="Ada")
    assert missing_tokens(body, values) == ["ticket.id", "contact.first_name"]
