"""Settings > Sending domains in Chromium: add a domain, copy its records, Verify against a
loopback DNS server, remove it; each page without serious accessibility violations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from playwright.sync_api import expect

from channels_cfg.dns_records import records_to_publish
from channels_cfg.models import SendingDomain
from tests.channels_cfg.dns_server import DnsServer, dns_server_fixture, publish  # noqa: F401
from tests.e2e.axe import describe, new_axe_context, serious_violations
from tests.e2e.conftest import login
from tests.e2e.test_wizard import PASSWORD
from tests.factories import AdminFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def audited(browser, live_server) -> Iterator[object]:
    """A page that may run axe, and may read the clipboard."""
    context = new_axe_context(browser)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def check_accessibility(page, where: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"{where}:\n{describe(violations)}"


def test_an_admin_adds_copies_verifies_and_removes_a_sending_domain(
    audited, live_server, dns_server: DnsServer
) -> None:
    page = audited
    admin = AdminFactory()
    login(page, live_server, admin.user.username, PASSWORD)
    page.goto(f"{live_server.url}/settings/channels/")
    page.get_by_role("link", name="Sending domains").click()
    expect(page.get_by_role("heading", name="Sending domains", level=1)).to_be_visible()
    check_accessibility(page, "sending domains, empty")

    page.get_by_label("Domain", exact=True).fill("gmail.com")
    page.get_by_role("button", name="Add domain").click()
    expect(page.locator("#id_domain-error")).to_contain_text("shared mail provider")
    expect(page.get_by_label("Domain", exact=True)).to_have_attribute("aria-invalid", "true")
    check_accessibility(page, "sending domains, refused domain")

    page.get_by_label("Domain", exact=True).fill("acme.example")
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_role("heading", name="acme.example", level=1)).to_be_visible()
    domain = SendingDomain.objects.get(workspace=admin.workspace)
    dkim_value = f"v=DKIM1; k=rsa; p={domain.dkim_public_key}"
    page.get_by_role("button", name="Copy the DKIM value").click()
    expect(page.locator("#copy-value-status-dkim")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == dkim_value
    page.get_by_role("button", name="Copy the DKIM name").click()
    assert page.evaluate("navigator.clipboard.readText()") == (
        f"{domain.dkim_selector}._domainkey.acme.example"
    )
    check_accessibility(page, "a domain's records")

    records = records_to_publish(
        domain=domain.domain,
        selector=domain.dkim_selector,
        public_key=domain.dkim_public_key,
        spf_include=settings.SENDING_SPF_INCLUDE,
    )
    publish(dns_server, records[1:])  # everything but DKIM
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".flash--error")).to_contain_text("The DKIM record is missing")
    expect(page.locator('[data-record="dkim"] [data-check]')).to_contain_text("Missing")
    check_accessibility(page, "a domain that failed Verify")

    publish(dns_server, records)
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".flash--success")).to_contain_text("acme.example is verified")
    expect(page.locator("#domain-state")).to_contain_text("Verified")

    page.get_by_role("link", name="Remove domain").click()
    expect(page.get_by_role("heading", name="Remove acme.example?")).to_be_visible()
    check_accessibility(page, "removal confirmation")
    page.get_by_role("button", name="Remove acme.example").click()
    expect(page.locator(".flash--success")).to_contain_text("acme.example is removed.")
    assert not SendingDomain.objects.exists()
