"""Rules for hosted addresses: the local part of a forwarding address, and from addresses.

Pure functions over strings; the services call them and look up uniqueness in the database.
"""

from __future__ import annotations

import re
import secrets
import string
import unicodedata

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


SUGGESTION_SLUG_MAX = 24
SUFFIX_LENGTH = 4
# A name that already says what the team does reads well as it is: "acme-sales-7f3k", not
# "acme-sales-support-7f3k"; a bare company name gets "-support" ("acme-support-7f3k").
_TEAM_WORDS = frozenset(
    {"support", "help", "helpdesk", "service", "care", "team", "sales", "billing", "contact"}
)


def _slug(company_name: str) -> str:
    """The name in lower-case ASCII words joined by hyphens, cut at a word end ("Café Zürich
    Holdings" -> "cafe-zurich-holdings")."""
    ascii_name = unicodedata.normalize("NFKD", company_name or "").encode("ascii", "ignore")
    words = re.findall(r"[a-z0-9]+", ascii_name.decode().lower())
    slug = ""
    for word in words:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > SUGGESTION_SLUG_MAX:
            return slug or longer[:SUGGESTION_SLUG_MAX]
        slug = longer
    return slug


def _stem(company_name: str) -> str:
    slug = _slug(company_name)
    if not slug:
        return "team-support"
    return slug if slug.rpartition("-")[2] in _TEAM_WORDS else f"{slug}-support"


def suggest_local_part(company_name: str, *, suffix: str | None = None) -> str:
    """A readable, hard-to-guess default derived from the channel's company name: its words,
    "-support" unless they name a team already, and 4 random characters ("acme-sales-7f3k")."""
    alphabet = string.ascii_lowercase + string.digits
    suffix = suffix or "".join(secrets.choice(alphabet) for _ in range(SUFFIX_LENGTH))
    return f"{_stem(company_name)}-{suffix}"


def is_suggested_local_part(local_part: str, company_name: str) -> bool:
    """True if `local_part` is what `suggest_local_part` makes of this name (not one the admin
    chose): such an address may follow a renamed draft."""
    stem, _, suffix = local_part.rpartition("-")
    return len(suffix) == SUFFIX_LENGTH and stem == _stem(company_name)


def address_domain(address: str) -> str:
    return address.rpartition("@")[2].strip().lower()
