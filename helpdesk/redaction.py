"""Email addresses as they may appear in logs: `jane@example.com` becomes `j***@example.com`.

Logs go to places (a log service, a support ticket, a screenshot) that mail content must not
reach; the domain and one character are enough to tell which customer or channel a line is about.
Pure functions, and a log handler filter built on them: no Django, so any layer may use them, and
nothing here raises on odd input.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

# A domain name or an address literal; it ends where a character no domain holds begins
# ("example.com>" or "example.com'").
_DOMAIN = re.compile(r"\[[^\]\s]*\]|[\w-]+(?:\.[\w-]+)*")

# `@`, or `%40` in a URL (a tracking pixel's query string often names its recipient).
_SEPARATOR = re.compile(r"@|%40")

# The local part before a separator, read backwards from it (over the reversed text), so each
# separator costs at most one local part's length even in a megabyte of letters. A quoted local
# part may hold spaces; a plain one is the characters real addresses use, so a URL's `?e=` or a
# repr's quote is not taken into it. `%2B` (an encoded `+`) reads backwards as `B2%`. RFC 5321
# caps a local part at 64 characters.
_LOCAL_BACKWARDS = re.compile(r""""[^"\r\n]{0,64}"|(?:[0-9A-Fa-f]{2}%|[\w.+\-]){1,64}""")


def redact_address(value: str) -> str:
    """`j***@example.com` for `jane@example.com`: the domain and the local part's first character.

    The domain follows the last `@` (a quoted local part may hold one). Text that is not an
    address at all keeps only its first character.
    """
    text = str(value).strip().strip("<>")
    local, at, domain = text.rpartition("@")
    if not at:
        return f"{text[:1]}{MASK}" if text else ""
    kept_domain = _DOMAIN.match(domain)
    return _masked(local, at, kept_domain.group() if kept_domain else "")


def redact_addresses(text: str) -> str:
    """The text with every address in it redacted as `redact_address` does; the rest unchanged."""
    text = str(text)
    backwards = text[::-1]
    pieces: list[str] = []
    done = 0  # everything before this index is already in `pieces`
    for separator in _SEPARATOR.finditer(text):
        start, end = separator.span()
        local = _LOCAL_BACKWARDS.match(backwards, len(text) - start)
        domain = _DOMAIN.match(text, end)
        if start < done or local is None or domain is None:
            continue
        local_start = max(done, start - len(local.group()))
        if local_start == start:
            continue
        masked = _masked(text[local_start:start], separator.group(), domain.group())
        pieces += [text[done:local_start], masked]
        done = domain.end()
    pieces.append(text[done:])
    return "".join(pieces)


def _masked(local: str, at: str, domain: str) -> str:
    first = local.lstrip('"')[:1]
    return f"{first}{MASK}{at}{domain}"


class RedactAddressesFilter(logging.Filter):
    """A log handler filter: the addresses in every record it emits are redacted, whoever logged
    it (Celery's retry and failure lines quote the task's exception, Django's error lines carry a
    traceback), so a log call that forgets `redact_addresses` still leaks none."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the format string
            message = f"{record.msg} (unformatted arguments: {record.args!r})"
        record.msg, record.args = redact_addresses(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_addresses(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_addresses(record.stack_info)
        return True
