"""Rules for hosted addresses: the local part of a forwarding address, and from addresses.

Pure functions over strings; the services call them and look up uniqueness in the database.
"""

from __future__ import annotations

import re
import secrets
import string

LOCAL_PART_MIN = 3
LOCAL_PART_MAX = 40
LOCAL_PART_ALLOWED = "lower-case letters, digits, dots, hyphens and underscores"
_LOCAL_PART = re.compile(r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$")

# Role addresses that mail systems and people expect to reach the operator, not a customer's
# team (RFC 2142), plus our own system senders.
RESERVED_LOCAL_PARTS = frozenset(
    {
        "abuse",
        "admin",
        "administrator",
        "helpdesk",
        "hostmaster",
        "info",
        "mailer-daemon",
        "no-reply",
        "noc",
        "noreply",
        "postmaster",
        "root",
        "security",
        "webmaster",
    }
)


def normalize_local_part(value: str) -> str:
    return (value or "").strip().lower()


def local_part_problem(local_part: str) -> str | None:
    """Why this (normalized) local part cannot be a forwarding address, or None if it can."""
    if len(local_part) < LOCAL_PART_MIN:
        return f"Use at least {LOCAL_PART_MIN} characters."
    if len(local_part) > LOCAL_PART_MAX:
        return f"Use at most {LOCAL_PART_MAX} characters."
    if not _LOCAL_PART.match(local_part):
        return f"Use only {LOCAL_PART_ALLOWED}, starting and ending with a letter or digit."
    if ".." in local_part:
        return "Two dots in a row are not allowed in an email address."
    if local_part in RESERVED_LOCAL_PARTS:
        return f"“{local_part}” is reserved. Choose another name."
    return None


def suggest_local_part(company_name: str, *, suffix: str | None = None) -> str:
    """A readable, hard-to-guess default: the company as a slug, '-support-' and 4 random chars."""
    slug = re.sub(r"[^a-z0-9]+", "-", (company_name or "").lower()).strip("-")[:20].strip("-")
    alphabet = string.ascii_lowercase + string.digits
    suffix = suffix or "".join(secrets.choice(alphabet) for _ in range(4))
    return f"{slug or 'team'}-support-{suffix}"


def address_domain(address: str) -> str:
    return address.rpartition("@")[2].strip().lower()
