"""Sending domains: add one (with a fresh DKIM key), verify its DNS records, remove it."""

from __future__ import annotations

import ipaddress
import logging
from datetime import datetime

import dns.exception
import dns.nameserver
import dns.resolver
from django.conf import settings
from django.db import IntegrityError, transaction

from channels_cfg import dkim, dns_records
from channels_cfg.dns_records import DomainCheck, TxtLookup
from channels_cfg.models import SendingDomain
from helpdesk.mail_providers import SHARED_MAILBOX_DOMAINS, hosted_domains, is_domain_within
from helpdesk.models import Workspace
from helpdesk.refusals import Refused

logger = logging.getLogger(__name__)


def _refused(message: str) -> Refused:
    return Refused(message, field="domain")


def sending_domain_name(value: str) -> str:
    """The domain an admin typed, normalised; Refused when nobody may send from it as theirs."""
    try:
        domain = dns_records.normalize_domain(value)
    except ValueError as error:
        raise _refused(str(error)) from None
    if is_domain_within(domain, SHARED_MAILBOX_DOMAINS):
        raise _refused(f"{domain} is a shared mail provider: add a domain your organisation owns.")
    if is_domain_within(domain, hosted_domains()):
        raise _refused(f"{domain} is ours: default from addresses on it need no sending domain.")
    return domain


def sending_domain_add(*, workspace: Workspace, domain: str) -> SendingDomain:
    """Add a domain to the workspace with a new DKIM key pair; Refused for a domain that is not
    the admin's to add, or one the workspace already has."""
    name = sending_domain_name(domain)
    if SendingDomain.objects.filter(workspace=workspace, domain__iexact=name).exists():
        raise _refused(f"{name} is already one of your sending domains.")
    key = dkim.generate_key_pair()  # before the transaction: it takes a fraction of a second
    try:
        with transaction.atomic():
            return SendingDomain.objects.create(
                workspace=workspace,
                domain=name,
                dkim_selector=dkim.new_selector(),
                dkim_private_key=dkim.encrypt_private_key(key.private_pem),
                dkim_public_key=key.public_key,
            )
    except IntegrityError:  # the same domain added twice at once
        raise _refused(f"{name} is already one of your sending domains.") from None


def sending_domain_verify(*, sending_domain: SendingDomain, now: datetime) -> DomainCheck:
    """Look up the domain's DKIM, SPF and DMARC records and record what was found: verified
    when DKIM and SPF are as we asked, unverified otherwise (also when it was before)."""
    if not sending_domain.dkim_public_key:
        raise Refused("This domain has no DKIM key: remove it and add it again.")
    lookups = _look_up(
        dns_records.names_to_look_up(
            domain=sending_domain.domain, selector=sending_domain.dkim_selector
        )
    )
    check = dns_records.check_domain(
        domain=sending_domain.domain,
        selector=sending_domain.dkim_selector,
        public_key=sending_domain.dkim_public_key,
        spf_include=settings.SENDING_SPF_INCLUDE,
        lookups=lookups,
    )
    with transaction.atomic():
        sending_domain.verified = check.verified
        if not check.verified:
            sending_domain.verified_at = None
        elif sending_domain.verified_at is None:
            sending_domain.verified_at = now
        sending_domain.last_checked_at = now
        sending_domain.last_check_result = check.as_json()
        sending_domain.save(
            update_fields=["verified", "verified_at", "last_checked_at", "last_check_result"]
        )
    return check


def sending_domain_remove(*, sending_domain: SendingDomain) -> None:
    """Forget the domain and its key: addresses on it need their own verification again and
    replies from it are no longer signed."""
    with transaction.atomic():
        sending_domain.delete()


# --- DNS --------------------------------------------------------------------------------------


def _look_up(names: tuple[str, ...]) -> dict[str, TxtLookup]:
    try:
        resolver = _resolver()
    except dns.exception.DNSException as error:  # no resolv.conf, and none configured
        return {name: TxtLookup(error=type(error).__name__) for name in names}
    except ValueError:
        logger.error("DNS_RESOLVER_NAMESERVERS holds something other than ip[:port] values")
        return {name: TxtLookup(error="the resolver is misconfigured") for name in names}
    return {name: _txt(resolver, name) for name in names}


def _resolver() -> dns.resolver.Resolver:
    configured = settings.DNS_RESOLVER_NAMESERVERS
    resolver = dns.resolver.Resolver(configure=not configured)
    if configured:
        resolver.nameservers = [_nameserver(value) for value in configured]
    resolver.timeout = resolver.lifetime = settings.DNS_RESOLVER_TIMEOUT_SECONDS
    resolver.cache = None  # Verify right after publishing must see the new record
    return resolver


def _nameserver(value: str) -> dns.nameserver.Do53Nameserver:
    """ "192.0.2.53", "192.0.2.53:5353", "2001:db8::53" or "[2001:db8::53]:5353"."""
    host, port = value.strip(), 53
    if host.startswith("["):
        host, _, rest = host[1:].partition("]")
        port = int(rest.lstrip(":") or 53)
    elif host.count(":") == 1:
        host, _, port_text = host.partition(":")
        port = int(port_text)
    ipaddress.ip_address(host)  # a name here would need a resolver to find the resolver
    return dns.nameserver.Do53Nameserver(host, port)


def _txt(resolver: dns.resolver.Resolver, name: str) -> TxtLookup:
    try:
        answer = resolver.resolve(name, "TXT", raise_on_no_answer=False, search=False)
    except dns.resolver.NXDOMAIN:
        return TxtLookup()
    except dns.exception.Timeout:
        return TxtLookup(error="no answer in time")
    except dns.exception.DNSException as error:
        logger.info("TXT lookup of %s failed: %s", name, type(error).__name__)
        return TxtLookup(error=type(error).__name__)
    if answer.rrset is None:
        return TxtLookup()
    return TxtLookup(records=tuple(dns_records.join_txt(record.strings) for record in answer.rrset))
