"""The inbox search box, parsed: words, "quoted phrases" and filters (`from:anna@example.com`,
`is:open`, `before:2026-01-31`...). A pure function over a string: no database, no clock.

Anything that looks like a filter but is not one we know (`foo:bar`) is searched as a word, so
a pasted "Re: invoice" or a URL still finds what it says; a known filter with a bad value (a
date that is not a date, `is:maybe`) is an error the list shows next to the box.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

MAX_TERMS = 20
# `word`, `"a phrase"`, `key:value` and `key:"quoted value"`, in the order typed.
_TOKEN = re.compile(
    r'(?P<key>[a-zA-Z]+):(?:"(?P<qvalue>[^"]*)"?|(?P<value>\S*))|"(?P<phrase>[^"]*)"?|(?P<word>\S+)'
)
FILTER_KEYS = frozenset(
    {"from", "to", "is", "assignee", "has", "tag", "channel", "before", "after"}
)
IS_VALUES = {"open": "open", "closed": "closed"}
ASSIGNEE_VALUES = frozenset({"me", "none"})
HAS_VALUES = frozenset({"attachment"})


@dataclass(frozen=True)
class SearchQuery:
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    from_: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    status: str = ""  # "" either, "open" or "closed"
    assignee: str = ""  # "" anyone, "me" or "none"
    has_attachment: bool = False
    tags: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    before: date | None = None
    after: date | None = None
    errors: tuple[str, ...] = field(default=())

    @property
    def has_text(self) -> bool:
        """True when there is something to look up in the full-text index."""
        return bool(self.words or self.phrases)

    @property
    def is_empty(self) -> bool:
        return self == SearchQuery()

    def describe(self) -> str:
        """The search in words, as typed back to the agent: `"refund" from:anna@example.com`."""
        parts = [f'"{word}"' for word in self.words] + [f'"{phrase}"' for phrase in self.phrases]
        parts += [f"from:{value}" for value in self.from_] + [f"to:{value}" for value in self.to]
        parts += [f"is:{self.status}"] if self.status else []
        parts += [f"assignee:{self.assignee}"] if self.assignee else []
        parts += ["has:attachment"] if self.has_attachment else []
        parts += [f"tag:{_quoted(value)}" for value in self.tags]
        parts += [f"channel:{_quoted(value)}" for value in self.channels]
        parts += [f"after:{self.after.isoformat()}"] if self.after else []
        parts += [f"before:{self.before.isoformat()}"] if self.before else []
        return " ".join(parts)


def _quoted(value: str) -> str:
    return f'"{value}"' if " " in value else value


def _date(key: str, value: str, errors: list[str]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(
            f'{key}: needs a date written as YYYY-MM-DD, such as {key}:2026-01-31 (not "{value}").'
        )
        return None


def parse(text: str) -> SearchQuery:
    """Split the search box into words, phrases and filters, with a sentence per bad filter."""
    words: list[str] = []
    phrases: list[str] = []
    values: dict[str, list[str]] = {key: [] for key in FILTER_KEYS}
    errors: list[str] = []
    for match in _TOKEN.finditer(text):
        if len(words) + len(phrases) + sum(map(len, values.values())) >= MAX_TERMS:
            errors.append(f"Only the first {MAX_TERMS} words and filters are searched.")
            break
        key = (match.group("key") or "").lower()
        if key in FILTER_KEYS:
            value = (
                match.group("qvalue") if match.group("qvalue") is not None else match.group("value")
            )
            value = " ".join(value.split())
            if value:
                values[key].append(value)
            else:
                errors.append(f"{key}: needs a value, such as {_EXAMPLES[key]}.")
        elif match.group("phrase") is not None:
            phrase = " ".join(match.group("phrase").split())
            if " " in phrase:
                phrases.append(phrase)
            elif phrase:
                words.append(phrase)
        else:
            words.append(match.group(0))
    return _query(words, phrases, values, errors)


_EXAMPLES = {
    "from": "from:anna@example.com",
    "to": "to:support@example.com",
    "is": "is:open or is:closed",
    "assignee": "assignee:me or assignee:none",
    "has": "has:attachment",
    "tag": "tag:billing",
    "channel": 'channel:"Support"',
    "before": "before:2026-01-31",
    "after": "after:2026-01-01",
}


def _last_choice(
    key: str, given: list[str], allowed: frozenset[str] | set[str], errors: list[str]
) -> str:
    chosen = ""
    for value in given:
        if value.lower() in allowed:
            chosen = value.lower()
        else:
            errors.append(f"{key}:{value} is not a filter we know; use {_EXAMPLES[key]}.")
    return chosen


def _query(
    words: list[str], phrases: list[str], values: dict[str, list[str]], errors: list[str]
) -> SearchQuery:
    status = _last_choice("is", values["is"], set(IS_VALUES), errors)
    assignee = _last_choice("assignee", values["assignee"], ASSIGNEE_VALUES, errors)
    has = _last_choice("has", values["has"], HAS_VALUES, errors)
    before = after = None
    for value in values["before"]:
        before = _date("before", value, errors) or before
    for value in values["after"]:
        after = _date("after", value, errors) or after
    if before and after and after >= before:
        errors.append(
            f"after:{after.isoformat()} is not earlier than before:{before.isoformat()}: nothing can match."
        )
    return SearchQuery(
        words=tuple(words),
        phrases=tuple(phrases),
        from_=tuple(value.lower() for value in values["from"]),
        to=tuple(value.lower() for value in values["to"]),
        status=status,
        assignee=assignee,
        has_attachment=has == "attachment",
        tags=tuple(values["tag"]),
        channels=tuple(values["channel"]),
        before=before,
        after=after,
        errors=tuple(errors),
    )
