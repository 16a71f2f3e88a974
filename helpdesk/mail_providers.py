"""Mail domains: those shared by many unrelated people (free-mail providers), and the ones we
host. Used by blocking (a block on gmail.com would refuse unrelated customers), by sending
domains (nobody may claim gmail.com) and by reply composition."""

from __future__ import annotations

from collections.abc import Collection

from django.conf import settings

SHARED_MAILBOX_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk",
        "hotmail.fr", "hotmail.de", "hotmail.it", "hotmail.es", "live.com", "live.co.uk",
        "live.fr", "live.de", "msn.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de",
        "yahoo.es", "yahoo.it", "yahoo.co.jp", "yahoo.com.br", "ymail.com", "rocketmail.com",
        "aol.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com",
        "pm.me", "gmx.de", "gmx.net", "gmx.com", "gmx.at", "gmx.ch", "web.de", "t-online.de",
        "freenet.de", "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr",
        "libero.it", "virgilio.it", "tiscali.it", "seznam.cz", "wp.pl", "o2.pl", "onet.pl",
        "interia.pl", "mail.ru", "yandex.ru", "yandex.com", "rambler.ru", "qq.com",
        "163.com", "126.com", "sina.com", "naver.com", "daum.net", "zoho.com", "zohomail.com",
        "fastmail.com", "hey.com", "tutanota.com", "tuta.io", "mail.com", "uol.com.br",
        "bol.com.br", "terra.com.br", "comcast.net", "verizon.net", "att.net", "btinternet.com",
        "sky.com", "bigpond.com", "rediffmail.com",
    }
)  # fmt: skip


def is_shared_mailbox_domain(domain: str) -> bool:
    """A free-mail provider's domain, or one of the domains we host forwarding addresses on."""
    domain = domain.strip().lower().rstrip(".")
    return domain in SHARED_MAILBOX_DOMAINS or is_hosted_domain(domain)


def is_hosted_domain(domain: str) -> bool:
    """One of our hosted domains (forwarding and default from addresses live there)."""
    return is_domain_within(domain, hosted_domains())


def hosted_domains() -> frozenset[str]:
    """The domains we host forwarding and default from addresses on."""
    return frozenset({settings.HOSTED_INBOX_DOMAIN, settings.HOSTED_INBOX_FREE_DOMAIN})


def is_domain_within(domain: str, hosts: Collection[str]) -> bool:
    """`domain` is one of `hosts` or a subdomain of one."""
    domain = domain.strip().lower().rstrip(".")
    return any(domain == host or domain.endswith("." + host) for host in hosts)
