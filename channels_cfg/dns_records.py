"""A sending domain's DNS: the records we ask the admin to publish, and what we make of the
TXT records a lookup returned. Pure functions over plain data: no DNS, no database, no settings.

Three records:
- DKIM (required): `v=DKIM1; k=rsa; p=<our public key>` at `<selector>._domainkey.<domain>`,
  proving the admin controls the domain's DNS and letting receivers check our signatures.
- SPF (required): the domain's one `v=spf1` record includes our sending host.
- DMARC (recommended): `v=DMARC1; p=none; ...` at `_dmarc.<domain>`. Any DMARC record will do;
  a domain without one still verifies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

OK = "ok"
MISSING = "missing"
WRONG = "wrong"
ERROR = "error"  # the lookup itself failed (timeout, SERVFAIL): nothing is known

DKIM = "dkim"
SPF = "spf"
DMARC = "dmarc"
RECORD_KEYS = (DKIM, SPF, DMARC)
REQUIRED = frozenset({DKIM, SPF})

MAX_DOMAIN_LENGTH = 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TOP_LEVEL = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
# `co.uk`, `com.au`, `ac.jp`...: a generic second-level label under a country code is a public
# suffix, not a domain anyone can own (a structural rule, so no list of suffixes to keep).
_GENERIC_SECOND_LEVEL = frozenset(
    {"ac", "co", "com", "edu", "gov", "ltd", "ne", "net", "or", "org"}
)


@dataclass(frozen=True)
class DnsRecord:
    """One record the admin publishes at their DNS host."""

    key: str
    label: str
    name: str  # fully qualified, without the trailing dot
    value: str
    required: bool
    type: str = "TXT"


@dataclass(frozen=True)
class TxtLookup:
    """What DNS answered for one name: its TXT records (each one string, chunks joined), or
    the reason the lookup failed."""

    records: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class RecordCheck:
    state: str
    detail: str
    found: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.state == OK


@dataclass(frozen=True)
class DomainCheck:
    """The three records' checks; the domain is verified when the required ones are ok."""

    checks: Mapping[str, RecordCheck] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return all(key in self.checks and self.checks[key].ok for key in REQUIRED)

    def problems(self) -> list[str]:
        """The sentences about each required record that is not ok, in order."""
        return [
            self.checks[key].detail
            for key in RECORD_KEYS
            if key in REQUIRED and key in self.checks and not self.checks[key].ok
        ]

    def as_json(self) -> dict[str, dict[str, Any]]:
        return {
            key: {"state": check.state, "detail": check.detail, "found": list(check.found)}
            for key, check in self.checks.items()
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | None) -> DomainCheck:
        checks = {}
        for key, item in (value or {}).items():
            if key in RECORD_KEYS and isinstance(item, Mapping):
                checks[key] = RecordCheck(
                    state=str(item.get("state", "")),
                    detail=str(item.get("detail", "")),
                    found=tuple(str(found) for found in item.get("found", ())),
                )
        return cls(checks=checks)


# --- The domain an admin types ----------------------------------------------------------------


def normalize_domain(value: str) -> str:
    """The domain as we store it: trimmed, lowercase, no trailing dot, IDNA (punycode) form.
    Raises ValueError with the sentence to show when it is not a domain anyone could own."""
    domain = value.strip().lower().rstrip(".")
    if "@" in domain:
        domain = domain.rpartition("@")[2]
    if not domain:
        raise ValueError("Enter a domain, such as acme.com.")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"“{value.strip()[:80]}” is not a domain name.") from None
    labels = domain.split(".")
    if (
        len(domain) > MAX_DOMAIN_LENGTH
        or not all(_LABEL.match(label) for label in labels)
        or not _TOP_LEVEL.match(labels[-1])
    ):
        raise ValueError(f"“{value.strip()[:80]}” is not a domain name.")
    if len(labels) < 2:
        raise ValueError(f"Enter the whole domain, such as {domain}.com.")
    if len(labels) == 2 and len(labels[1]) == 2 and labels[0] in _GENERIC_SECOND_LEVEL:
        raise ValueError(f"{domain} is a public suffix: enter your own domain under it.")
    return domain


# --- What to publish --------------------------------------------------------------------------


def dkim_name(*, domain: str, selector: str) -> str:
    return f"{selector}._domainkey.{domain}"


def dmarc_name(domain: str) -> str:
    return f"_dmarc.{domain}"


def dkim_value(public_key: str) -> str:
    return f"v=DKIM1; k=rsa; p={public_key}"


def spf_value(*, include: str, existing: str = "") -> str:
    """A new SPF record with our include, or `existing` with it added before its `all` (or
    `redirect=`), since a domain must have only one SPF record (RFC 7208 §3.2)."""
    mechanism = f"include:{include}"
    terms = existing.split()
    if not terms or terms[0].lower() != "v=spf1":
        return f"v=spf1 {mechanism} ~all"
    if _spf_includes(terms, include):
        return " ".join(terms)
    for index, term in enumerate(terms):
        bare = term.lower().lstrip("+-~?")
        if bare == "all" or bare.startswith("redirect="):
            return " ".join([*terms[:index], mechanism, *terms[index:]])
    return " ".join([*terms, mechanism])


def dmarc_value(domain: str) -> str:
    """A first DMARC policy: report only (`p=none`), aggregate reports to the domain itself."""
    return f"v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}"


def records_to_publish(
    *, domain: str, selector: str, public_key: str, spf_include: str, existing_spf: str = ""
) -> list[DnsRecord]:
    """The DKIM, SPF and DMARC records, in the order the admin publishes them."""
    return [
        DnsRecord(
            key=DKIM,
            label="DKIM",
            name=dkim_name(domain=domain, selector=selector),
            value=dkim_value(public_key),
            required=True,
        ),
        DnsRecord(
            key=SPF,
            label="SPF",
            name=domain,
            value=spf_value(include=spf_include, existing=existing_spf),
            required=True,
        ),
        DnsRecord(
            key=DMARC, label="DMARC", name=dmarc_name(domain), value=dmarc_value(domain),
            required=False,
        ),
    ]  # fmt: skip


# --- What DNS returned ------------------------------------------------------------------------


def join_txt(strings: Sequence[bytes | str]) -> str:
    """One TXT record's character-strings as one value: a TXT string holds at most 255 bytes,
    so long records (a 2048-bit DKIM key) come in chunks, joined without separator (RFC 6376
    §3.6.2.2, RFC 7208 §3.3)."""
    return "".join(
        chunk.decode("utf-8", "replace") if isinstance(chunk, bytes) else chunk for chunk in strings
    )


def _tags(record: str) -> dict[str, str]:
    """`v=DKIM1; k=rsa; p=...` as {"v": "DKIM1", ...}: names lowercased, whitespace dropped."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            tags[name.strip().lower()] = re.sub(r"\s+", "", value)
    return tags


def check_dkim(lookup: TxtLookup, *, name: str, public_key: str) -> RecordCheck:
    if lookup.error:
        return _lookup_failed("DKIM", name, lookup.error)
    if not lookup.records:
        return RecordCheck(MISSING, f"The DKIM record is missing: no TXT record at {name}.")
    for record in lookup.records:
        tags = _tags(record)
        if (
            tags.get("p") == public_key
            and tags.get("v", "DKIM1").upper() == "DKIM1"
            and tags.get("k", "rsa").lower() == "rsa"
        ):
            return RecordCheck(OK, "The DKIM record is published.", lookup.records)
    return RecordCheck(
        WRONG,
        f"The DKIM record at {name} does not hold our key: publish the value shown, whole.",
        lookup.records,
    )


def _is_spf(record: str) -> bool:
    terms = record.split()
    return bool(terms) and terms[0].lower() == "v=spf1"


def _spf_includes(terms: Sequence[str], include: str) -> bool:
    wanted = include.lower().rstrip(".")
    for term in terms:
        term = term.lower().lstrip("+").rstrip(".")
        if term in {f"include:{wanted}", f"redirect={wanted}"}:
            return True
    return False


def check_spf(lookup: TxtLookup, *, domain: str, include: str) -> RecordCheck:
    if lookup.error:
        return _lookup_failed("SPF", domain, lookup.error)
    spf = tuple(record for record in lookup.records if _is_spf(record))
    if not spf:
        return RecordCheck(MISSING, f"The SPF record is missing: no v=spf1 TXT record at {domain}.")
    if len(spf) > 1:
        return RecordCheck(
            WRONG,
            f"{domain} has {len(spf)} SPF records, so receivers ignore them all: merge them "
            "into the one shown.",
            spf,
        )
    if not _spf_includes(spf[0].split(), include):
        return RecordCheck(
            WRONG, f"The SPF record of {domain} does not include:{include}: add it.", spf
        )
    return RecordCheck(OK, "The SPF record includes our sending host.", spf)


def check_dmarc(lookup: TxtLookup, *, name: str) -> RecordCheck:
    if lookup.error:
        return _lookup_failed("DMARC", name, lookup.error)
    if not lookup.records:
        return RecordCheck(
            MISSING, f"No DMARC record at {name}: recommended, not required.", lookup.records
        )
    dmarc = tuple(
        record for record in lookup.records if _tags(record).get("v", "").upper() == "DMARC1"
    )
    if len(dmarc) != 1 or not record_starts_with_version(dmarc[0], "v=DMARC1"):
        return RecordCheck(
            WRONG,
            f"The TXT records at {name} are not one DMARC record starting with v=DMARC1.",
            lookup.records,
        )
    return RecordCheck(OK, "A DMARC record is published.", dmarc)


def record_starts_with_version(record: str, version: str) -> bool:
    """`v=` must be the first tag (RFC 7489 §6.4); spaces around `=` and case do not matter."""
    return re.sub(r"\s+", "", record).lower().startswith(version.lower())


def _lookup_failed(label: str, name: str, error: str) -> RecordCheck:
    return RecordCheck(ERROR, f"The {label} lookup of {name} failed ({error}): try again.")


def check_domain(
    *,
    domain: str,
    selector: str,
    public_key: str,
    spf_include: str,
    lookups: Mapping[str, TxtLookup],
) -> DomainCheck:
    """Compare what DNS returned for each name (keyed by name) against what we asked for."""
    dkim_at = dkim_name(domain=domain, selector=selector)
    dmarc_at = dmarc_name(domain)
    return DomainCheck(
        checks={
            DKIM: check_dkim(
                lookups.get(dkim_at, TxtLookup()), name=dkim_at, public_key=public_key
            ),
            SPF: check_spf(lookups.get(domain, TxtLookup()), domain=domain, include=spf_include),
            DMARC: check_dmarc(lookups.get(dmarc_at, TxtLookup()), name=dmarc_at),
        }
    )


def names_to_look_up(*, domain: str, selector: str) -> tuple[str, str, str]:
    return dkim_name(domain=domain, selector=selector), domain, dmarc_name(domain)
