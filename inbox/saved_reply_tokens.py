"""Tokens in a saved reply (`{{contact.first_name}}`) filled in for one thread: pure, no ORM.

A value is HTML-escaped before it goes into the body. A token without a value (a contact with
no name, a thread with no ticket) becomes a highlighted marker, `[contact.first_name]`, for the
agent to fix before sending: a reply never goes out with a blank where a name should be. An
unknown token is left as written, so a typo shows instead of vanishing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

TOKENS = (
    "contact.first_name",
    "contact.name",
    "agent.first_name",
    "agent.full_name",
    "ticket.id",
    "channel.name",
)

_TOKEN = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")


@dataclass(frozen=True)
class TokenValues:
    """What the tokens stand for in one thread; "" for what is unknown there."""

    contact_name: str = ""
    agent_first_name: str = ""
    agent_full_name: str = ""
    ticket_id: str = ""
    channel_name: str = ""

    def as_mapping(self) -> Mapping[str, str]:
        return {
            "contact.first_name": first_name(self.contact_name),
            "contact.name": self.contact_name.strip(),
            "agent.first_name": self.agent_first_name.strip(),
            "agent.full_name": self.agent_full_name.strip(),
            "ticket.id": self.ticket_id.strip(),
            "channel.name": self.channel_name.strip(),
        }


def first_name(full_name: str) -> str:
    """The first word of a display name, "" for none; "Doe, Jane" (a directory's order) -> Jane."""
    name = full_name.strip().strip('"').strip()
    if "," in name:
        name = name.partition(",")[2].strip()
    return name.split()[0] if name.split() else ""


def missing_marker(token: str) -> str:
    """The visible stand-in for a token that has no value here."""
    return f'<mark class="token-missing">[{html.escape(token)}]</mark>'


def render_tokens(body_html: str, values: TokenValues) -> str:
    """`body_html` with every known token replaced by its escaped value or a missing marker."""
    known = values.as_mapping()

    def replace(match: re.Match[str]) -> str:
        token = match[1]
        if token not in known:
            return match[0]
        value = known[token]
        return html.escape(value) if value else missing_marker(token)

    return _TOKEN.sub(replace, body_html)


def missing_tokens(body_html: str, values: TokenValues) -> list[str]:
    """The known tokens of `body_html` that have no value here, in order of appearance."""
    known = values.as_mapping()
    found = [match[1] for match in _TOKEN.finditer(body_html)]
    return list(dict.fromkeys(token for token in found if token in known and not known[token]))
