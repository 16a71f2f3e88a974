"""Sending domains: adding one makes a DKIM key; Verify asks a real (loopback) DNS server."""

from __future__ import annotations

import time

import dkim as dkimpy
import pytest
from django.conf import settings
from django.utils import timezone

from channels_cfg import dkim, dns_records, selectors
from channels_cfg.dns_records import DKIM, DMARC, ERROR, MISSING, OK, SPF, WRONG
from channels_cfg.models import SendingDomain
from channels_cfg.services.sending_domains import (
    sending_domain_add,
    sending_domain_remove,
    sending_domain_verify,
)
from helpdesk.refusals import Refused
from tests.channels_cfg.dns_server import DnsServer, dns_server_fixture, publish  # noqa: F401
from tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db


def records(domain: SendingDomain) -> list[dns_records.DnsRecord]:
    return dns_records.records_to_publish(
        domain=domain.domain,
        selector=domain.dkim_selector,
        public_key=domain.dkim_public_key,
        spf_include=settings.SENDING_SPF_INCLUDE,
    )


def test_adding_a_domain_makes_a_key_pair_and_never_stores_the_private_key_in_clear(
    workspace,
) -> None:
    domain = sending_domain_add(workspace=workspace, domain=" Acme.Example. ")
    assert domain.domain == "acme.example" and not domain.verified
    assert domain.dkim_selector.startswith("helpdesk-")
    assert "PRIVATE KEY" not in domain.dkim_private_key
    pem = dkim.decrypt_private_key(domain.dkim_private_key)
    assert pem.startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    # The stored pair belongs together: what the private key signs, the public key verifies.
    message = b"From: a@acme.example\r\nTo: b@example.org\r\nSubject: x\r\n\r\nHello\r\n"
    signature = dkimpy.sign(message, domain.dkim_selector.encode(), b"acme.example", pem)
    txt = dns_records.dkim_value(domain.dkim_public_key).encode()
    assert dkimpy.verify(signature + message, dnsfunc=lambda name, timeout=5: txt)


def test_each_domain_gets_its_own_selector_and_key(workspace) -> None:
    first = sending_domain_add(workspace=workspace, domain="acme.example")
    second = sending_domain_add(workspace=workspace, domain="acme-sales.example")
    assert first.dkim_selector != second.dkim_selector
    assert first.dkim_public_key != second.dkim_public_key


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("gmail.com", "shared mail provider"),
        ("mail.outlook.com", "shared mail provider"),
        ("company1.inbox.localhost", "is ours"),
        ("localhost", "whole domain"),
        ("co.uk", "public suffix"),
        ("not a domain", "not a domain name"),
    ],
)
def test_a_domain_that_is_not_the_admins_is_refused(workspace, typed: str, says: str) -> None:
    with pytest.raises(Refused, match=says) as refusal:
        sending_domain_add(workspace=workspace, domain=typed)
    assert refusal.value.field == "domain"
    assert not SendingDomain.objects.exists()


def test_a_domain_is_added_once_per_workspace_and_other_workspaces_have_their_own(
    workspace,
) -> None:
    sending_domain_add(workspace=workspace, domain="acme.example")
    with pytest.raises(Refused, match="already one of your sending domains"):
        sending_domain_add(workspace=workspace, domain="ACME.example")
    other = sending_domain_add(workspace=WorkspaceFactory(), domain="acme.example")
    assert other.dkim_public_key


def test_verify_with_all_records_published_verifies_the_domain(
    workspace, dns_server: DnsServer
) -> None:
    domain = sending_domain_add(workspace=workspace, domain="acme.example")
    publish(dns_server, records(domain))
    now = timezone.now()
    check = sending_domain_verify(sending_domain=domain, now=now)
    assert check.verified
    assert {key: c.state for key, c in check.checks.items()} == {DKIM: OK, SPF: OK, DMARC: OK}
    domain.refresh_from_db()
    assert domain.verified and domain.verified_at == now and domain.last_checked_at == now
    assert domain.last_check_result[DKIM]["state"] == OK
    # The 2048-bit key's record is longer than one TXT string: it went out in chunks.
    dkim_name = records(domain)[0].name
    assert len(dns_server.records[dkim_name][0]) > 1
    assert dkim_name in dns_server.queries


def test_verify_says_the_dkim_record_is_missing(workspace, dns_server: DnsServer) -> None:
    domain = sending_domain_add(workspace=workspace, domain="acme.example")
    dkim_record, *others = records(domain)
    publish(dns_server, others)
    check = sending_domain_verify(sending_domain=domain, now=timezone.now())
    assert not check.verified
    assert check.checks[DKIM].state == MISSING
    assert check.problems() == [f"The DKIM record is missing: no TXT record at {dkim_record.name}."]
    domain.refresh_from_db()
    assert not domain.verified and domain.last_check_result[DKIM]["state"] == MISSING


def test_verify_says_the_spf_record_is_wrong_and_what_it_found(
    workspace, dns_server: DnsServer
) -> None:
    domain = sending_domain_add(workspace=workspace, domain="acme.example")
    publish(dns_server, records(domain))
    dns_server.set_txt("acme.example", "v=spf1 include:_spf.google.com ~all", "verify=1")
    check = sending_domain_verify(sending_domain=domain, now=timezone.now())
    assert not check.verified
    assert check.checks[SPF].state == WRONG
    assert check.checks[SPF].found == ("v=spf1 include:_spf.google.com ~all",)
    assert check.problems() == [
        f"The SPF record of acme.example does not include:{settings.SENDING_SPF_INCLUDE}: add it."
    ]
    assert check.checks[DKIM].state == OK


def test_a_domain_that_stops_checking_out_is_no_longer_verified(
    workspace, dns_server: DnsServer
) -> None:
    domain = sending_domain_add(workspace=workspace, domain="acme.example")
    publish(dns_server, records(domain))
    sending_domain_verify(sending_domain=domain, now=timezone.now())
    assert selectors.is_sending_domain_verified(workspace=workspace, address="me@acme.example")
    dns_server.remove(records(domain)[0].name)
    sending_domain_verify(sending_domain=domain, now=timezone.now())
    domain.refresh_from_db()
    assert not domain.verified and domain.verified_at is None
    assert not selectors.is_sending_domain_verified(workspace=workspace, address="me@acme.example")


def test_a_dns_server_that_does_not_answer_gives_an_error_within_the_timeout(
    workspace, dns_server: DnsServer
) -> None:
    domain = sending_domain_add(workspace=workspace, domain="acme.example")
    publish(dns_server, records(domain))
    dns_server.silent = True
    started = time.monotonic()
    check = sending_domain_verify(sending_domain=domain, now=timezone.now())
    assert time.monotonic() - started < 3 * 0.5 + 1  # three lookups, 0.5 s each at most
    assert {c.state for c in check.checks.values()} == {ERROR}
    assert "no answer in time" in check.checks[DKIM].detail
    assert not check.verified


def test_dkim_signer_is_only_given_for_a_verified_domain(workspace, dns_server: DnsServer) -> None:
    domain = sending_domain_add(workspace=workspace, domain="acme.example")
    assert selectors.dkim_signer_get(workspace_id=workspace.pk, address="me@acme.example") is None
    publish(dns_server, records(domain))
    sending_domain_verify(sending_domain=domain, now=timezone.now())
    signer = selectors.dkim_signer_get(workspace_id=workspace.pk, address="Me@ACME.example")
    assert signer is not None
    assert (signer.domain, signer.selector) == ("acme.example", domain.dkim_selector)
    assert selectors.dkim_signer_get(workspace_id=workspace.pk, address="me@other.example") is None
    other = WorkspaceFactory()
    assert selectors.dkim_signer_get(workspace_id=other.pk, address="me@acme.example") is None


def test_a_key_no_secret_key_opens_sends_unsigned_rather_than_failing(
    workspace, dns_server: DnsServer, settings, caplog
) -> None:
    domain = sending_domain_add(workspace=workspace, domain="acme.example")
    publish(dns_server, records(domain))
    sending_domain_verify(sending_domain=domain, now=timezone.now())
    original = settings.SECRET_KEY
    settings.SECRET_KEY = "rotated-without-keeping-the-old-one-in-fallbacks"
    assert selectors.dkim_signer_get(workspace_id=workspace.pk, address="me@acme.example") is None
    assert "cannot sign" in caplog.text
    # With the old key among the fallbacks, signing goes on.
    settings.SECRET_KEY_FALLBACKS = [original]
    assert selectors.dkim_signer_get(workspace_id=workspace.pk, address="me@acme.example")


def test_removing_a_domain_forgets_it_and_its_key(workspace, dns_server: DnsServer) -> None:
    domain = sending_domain_add(workspace=workspace, domain="acme.example")
    publish(dns_server, records(domain))
    sending_domain_verify(sending_domain=domain, now=timezone.now())
    sending_domain_remove(sending_domain=domain)
    assert not SendingDomain.objects.exists()
    assert not selectors.is_sending_domain_verified(workspace=workspace, address="me@acme.example")
    assert selectors.dkim_signer_get(workspace_id=workspace.pk, address="me@acme.example") is None
