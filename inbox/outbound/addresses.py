"""The address fields of a new email or a forward ("To", "Cc"): pure parsing and validation."""

from __future__ import annotations

import re
from email.utils import getaddresses

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from inbox.outbound.compose import ReplyRefused

MAX_RECIPIENTS = 20
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# One entry of a list: up to a comma or semicolon not inside a quoted name ("Doe, Jane" <j@x>).
_ENTRY = re.compile(r'(?:"[^"]*"|[^,;"])+')


def address_list(value: str, *, label: str, field: str, exclude: tuple[str, ...] = ()) -> list[str]:
    """The addresses written in an address field, lower-cased, without repeats nor `exclude`.

    Each must be a valid address (the error names the one that is not, for the field `field`);
    a control character is refused, never cleaned, so nothing can smuggle in a header.
    """
    if _CONTROL.search(value):
        raise ReplyRefused(f"{label} may hold addresses only, separated by commas.", field=field)
    found: list[str] = []
    for part in _ENTRY.findall(value):
        part = part.strip()
        if not part:
            continue
        pairs = getaddresses([part])
        address = pairs[0][1].strip().lower() if len(pairs) == 1 else ""
        try:
            validate_email(address)
        except ValidationError:
            raise ReplyRefused(
                f"“{part[:80]}” in {label} is not an email address.", field=field
            ) from None
        if address not in found and address not in exclude:
            found.append(address)
    if len(found) > MAX_RECIPIENTS:
        raise ReplyRefused(f"{label} may hold at most {MAX_RECIPIENTS} addresses.", field=field)
    return found
