"""The records a sending domain publishes, and the comparison with what DNS returned."""

from __future__ import annotations

import pytest

from channels_cfg import dns_records
from channels_cfg.dns_records import (
    DKIM,
    DMARC,
    ERROR,
    MISSING,
    OK,
    SPF,
    WRONG,
    DomainCheck,
    TxtLookup,
    check_dkim,
    check_dmarc,
    check_spf,
)

KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + "x" * 348 + "IDAQAB"
DKIM_AT = "helpdesk-abc123._domainkey.acme.example"


def lookup(*records: str) -> TxtLookup:
    return TxtLookup(records=records)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("acme.example", "acme.example"),
        ("  Acme.EXAMPLE.  ", "acme.example"),
        ("help@acme.example", "acme.example"),
        ("mail.acme.co.uk", "mail.acme.co.uk"),
        ("acme.co.uk", "acme.co.uk"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("a-b.example", "a-b.example"),
    ],
)
def test_domains_are_normalised(typed: str, stored: str) -> None:
    assert dns_records.normalize_domain(typed) == stored


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Enter a domain"),
        ("localhost", "whole domain"),
        ("192.0.2.1", "not a domain name"),
        ("acme..example", "not a domain name"),
        ("-acme.example", "not a domain name"),
        ("acme_mail.example", "not a domain name"),
        ("acme.example/path", "not a domain name"),
        ("http://acme.example", "not a domain name"),
        ("a" * 64 + ".example", "not a domain name"),
        ("co.uk", "public suffix"),
        ("com.au", "public suffix"),
    ],
)
def test_what_is_not_a_domain_anyone_owns_is_refused(typed: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        dns_records.normalize_domain(typed)


def test_records_to_publish() -> None:
    records = dns_records.records_to_publish(
        domain="acme.example", selector="helpdesk-abc123", public_key=KEY, spf_include="spf.us.test"
    )
    assert [(r.key, r.type, r.name, r.value, r.required) for r in records] == [
        (DKIM, "TXT", DKIM_AT, f"v=DKIM1; k=rsa; p={KEY}", True),
        (SPF, "TXT", "acme.example", "v=spf1 include:spf.us.test ~all", True),
        (
            DMARC,
            "TXT",
            "_dmarc.acme.example",
            "v=DMARC1; p=none; rua=mailto:dmarc-reports@acme.example",
            False,
        ),
    ]


@pytest.mark.parametrize(
    ("existing", "suggested"),
    [
        ("", "v=spf1 include:spf.us.test ~all"),
        ("google-site-verification=abc", "v=spf1 include:spf.us.test ~all"),
        ("v=spf1 include:_spf.google.com ~all", "v=spf1 include:_spf.google.com include:spf.us.test ~all"),
        ("v=spf1 mx -all", "v=spf1 mx include:spf.us.test -all"),
        ("v=spf1 mx redirect=_spf.acme.example", "v=spf1 mx include:spf.us.test redirect=_spf.acme.example"),
        ("v=spf1 a mx", "v=spf1 a mx include:spf.us.test"),
        ("v=spf1 include:spf.us.test ~all", "v=spf1 include:spf.us.test ~all"),
    ],
)  # fmt: skip
def test_an_existing_spf_record_gets_our_include_added_not_a_second_record(
    existing: str, suggested: str
) -> None:
    assert dns_records.spf_value(include="spf.us.test", existing=existing) == suggested


@pytest.mark.parametrize(
    ("strings", "joined"),
    [
        ([b"v=spf1 ", b"include:x ~all"], "v=spf1 include:x ~all"),
        ([b"a" * 255, b"b" * 137], "a" * 255 + "b" * 137),
        (["v=DMARC1;", " p=none"], "v=DMARC1; p=none"),
        ([], ""),
    ],
)
def test_txt_chunks_are_joined_without_separator(strings, joined: str) -> None:
    assert dns_records.join_txt(strings) == joined


@pytest.mark.parametrize(
    ("found", "state"),
    [
        ((f"v=DKIM1; k=rsa; p={KEY}",), OK),
        ((f"v=DKIM1;k=rsa;p={KEY}",), OK),
        ((f"  V = dkim1 ;  K = RSA ; P = {KEY[:100]} {KEY[100:]} ",), OK),  # spaces, case
        ((f"v=DKIM1; k=rsa; p={KEY[:200]}\t{KEY[200:]}",), OK),  # split by a DNS host UI
        ((f"p={KEY}",), OK),  # v= and k= are optional (RFC 6376 §3.6.1)
        (("v=spf1 -all", f"v=DKIM1; k=rsa; p={KEY}"), OK),  # another TXT beside it
        ((),  MISSING),
        ((f"v=DKIM1; k=rsa; p={KEY[:-1]}",), WRONG),  # truncated when pasted
        ((f"v=DKIM1; k=rsa; p={KEY.lower()}",), WRONG),  # base64 is case-sensitive
        (("v=DKIM1; k=rsa; p=",), WRONG),  # a revoked key
        ((f"v=DKIM1; k=ed25519; p={KEY}",), WRONG),
        (("v=DKIM1; k=rsa; p=MIIBsomeoneelseskey",), WRONG),
    ],
)  # fmt: skip
def test_the_dkim_record_is_compared_tolerantly_but_the_key_exactly(found, state: str) -> None:
    check = check_dkim(lookup(*found), name=DKIM_AT, public_key=KEY)
    assert check.state == state
    if state == WRONG:
        assert check.found == found and DKIM_AT in check.detail
    if state == MISSING:
        assert "DKIM record is missing" in check.detail and DKIM_AT in check.detail


@pytest.mark.parametrize(
    ("found", "state", "says"),
    [
        (("v=spf1 include:spf.us.test ~all",), OK, "includes"),
        (("V=SPF1  +include:SPF.us.test.  -all",), OK, "includes"),
        (("v=spf1 redirect=spf.us.test",), OK, "includes"),
        (("google-site-verification=x", "v=spf1 mx include:spf.us.test ~all"), OK, "includes"),
        ((), MISSING, "SPF record is missing"),
        (("google-site-verification=x",), MISSING, "SPF record is missing"),
        (("v=spf1 include:_spf.google.com ~all",), WRONG, "does not include:spf.us.test"),
        (("v=spf1 -include:spf.us.test ~all",), WRONG, "does not include"),
        (("v=spf1 include:spf.us.test.evil.example ~all",), WRONG, "does not include"),
        (("v=spf1 include:spf.us.test ~all", "v=spf1 mx -all"), WRONG, "2 SPF records"),
    ],
)
def test_the_spf_record_must_be_one_and_include_our_host(found, state: str, says: str) -> None:
    check = check_spf(lookup(*found), domain="acme.example", include="spf.us.test")
    assert check.state == state
    assert says in check.detail


@pytest.mark.parametrize(
    ("found", "state"),
    [
        (("v=DMARC1; p=none; rua=mailto:d@acme.example",), OK),
        (("v=DMARC1; p=reject",), OK),
        (("V = dmarc1; p=quarantine",), OK),
        ((), MISSING),
        (("p=none; v=DMARC1",), WRONG),  # v= must come first
        (("v=DMARC1; p=none", "v=DMARC1; p=reject"), WRONG),
        (("some-other-verification=1",), WRONG),
    ],
)
def test_any_one_dmarc_record_will_do(found, state: str) -> None:
    assert check_dmarc(lookup(*found), name="_dmarc.acme.example").state == state


def test_a_failed_lookup_says_which_record_could_not_be_checked() -> None:
    check = check_spf(
        TxtLookup(error="no answer in time"), domain="acme.example", include="spf.us.test"
    )
    assert check.state == ERROR
    assert check.detail == "The SPF lookup of acme.example failed (no answer in time): try again."


def _domain_check(**lookups: TxtLookup) -> DomainCheck:
    return dns_records.check_domain(
        domain="acme.example",
        selector="helpdesk-abc123",
        public_key=KEY,
        spf_include="spf.us.test",
        lookups={
            DKIM_AT: lookups.get("dkim", lookup(f"v=DKIM1; k=rsa; p={KEY}")),
            "acme.example": lookups.get("spf", lookup("v=spf1 include:spf.us.test ~all")),
            "_dmarc.acme.example": lookups.get("dmarc", lookup()),
        },
    )


def test_dkim_and_spf_verify_a_domain_dmarc_is_only_recommended() -> None:
    check = _domain_check()
    assert check.verified and check.problems() == []
    assert check.checks[DMARC].state == MISSING
    assert not _domain_check(dkim=lookup()).verified
    assert _domain_check(spf=lookup("v=spf1 -all")).problems() == [
        "The SPF record of acme.example does not include:spf.us.test: add it."
    ]


def test_a_check_survives_its_json_round_trip() -> None:
    check = _domain_check(spf=lookup("v=spf1 -all"))
    assert DomainCheck.from_json(check.as_json()) == check
    assert DomainCheck.from_json({}).checks == {}
    assert not DomainCheck.from_json(None).verified
