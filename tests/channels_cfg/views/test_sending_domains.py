"""Settings > Sending domains, as an admin uses it with plain forms (no JavaScript)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels_cfg.dns_records import records_to_publish
from channels_cfg.models import EmailChannel, SendingDomain
from channels_cfg.services.sending_domains import sending_domain_add, sending_domain_verify
from tests.channels_cfg.conftest import from_data
from tests.channels_cfg.dns_server import DnsServer, dns_server_fixture, publish  # noqa: F401
from tests.factories import AdminFactory, ForwardingAddressFactory

pytestmark = pytest.mark.django_db

LIST = reverse("channels_cfg:sending_domains")
ADD = reverse("channels_cfg:sending_domain_add")


def publish_all(server: DnsServer, domain: SendingDomain) -> None:
    publish(
        server,
        records_to_publish(
            domain=domain.domain,
            selector=domain.dkim_selector,
            public_key=domain.dkim_public_key,
            spf_include=settings.SENDING_SPF_INCLUDE,
        ),
    )


def page_url(domain: SendingDomain, name: str = "sending_domain") -> str:
    return reverse(f"channels_cfg:{name}", args=[domain.pk])


def test_sending_domains_is_a_settings_tab(admin_client: Client) -> None:
    page = admin_client.get(reverse("channels_cfg:channel_list")).content.decode()
    assert f'href="{LIST}"' in page
    listing = admin_client.get(LIST).content.decode()
    assert re.search(rf'<a href="{LIST}"\s+aria-current="page">Sending domains</a>', listing)
    assert "No sending domains yet" in listing
    assert '<label for="id_domain">Domain</label>' in listing


def test_agents_who_are_not_admins_cannot_open_it(agent_client: Client) -> None:
    assert agent_client.get(LIST).status_code == 403
    assert agent_client.post(ADD, {"domain": "acme.example"}).status_code == 403


def test_adding_a_domain_shows_the_records_to_publish_with_copy_buttons(
    admin_client: Client, admin_agent
) -> None:
    response = admin_client.post(ADD, {"domain": "Acme.example"}, follow=True)
    domain = SendingDomain.objects.get(workspace=admin_agent.workspace)
    assert response.redirect_chain == [(page_url(domain), 302)]
    page = response.content.decode()
    dkim_value = f"v=DKIM1; k=rsa; p={domain.dkim_public_key}"
    for name, value in [
        (f"{domain.dkim_selector}._domainkey.acme.example", dkim_value),
        ("acme.example", f"v=spf1 include:{settings.SENDING_SPF_INCLUDE} ~all"),
        ("_dmarc.acme.example", "v=DMARC1; p=none; rua=mailto:dmarc-reports@acme.example"),
    ]:
        assert f'data-copy="{name}"' in page
        assert f'data-copy="{value}"' in page
        assert f">{value}</code>" in page  # also readable and selectable without JavaScript
    assert "Waiting for DNS records" in page
    assert "PRIVATE" not in page and domain.dkim_private_key not in page


def test_a_refused_domain_is_explained_next_to_the_field(admin_client: Client) -> None:
    response = admin_client.post(ADD, {"domain": "gmail.com"})
    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(
        r'<input[^>]*aria-invalid="true"[^>]*id="id_domain"|<input[^>]*id="id_domain"[^>]*aria-invalid="true"',
        page,
    )
    assert '<p class="field-error" id="id_domain-error">gmail.com is a shared mail provider' in page
    assert not SendingDomain.objects.exists()


def test_verify_says_which_record_is_missing_then_verifies(
    admin_client: Client, admin_agent, dns_server: DnsServer
) -> None:
    domain = sending_domain_add(workspace=admin_agent.workspace, domain="acme.example")
    publish_all(dns_server, domain)
    dkim_name = f"{domain.dkim_selector}._domainkey.acme.example"
    dns_server.remove(dkim_name)
    page = admin_client.post(page_url(domain, "sending_domain_verify"), follow=True)
    content = page.content.decode()
    assert "acme.example is not verified yet" in content
    assert f"The DKIM record is missing: no TXT record at {dkim_name}." in content
    assert re.search(r'data-record="dkim".*?data-check="missing"', content, re.S)
    assert re.search(r'data-record="spf".*?data-check="ok"', content, re.S)

    publish_all(dns_server, domain)
    content = admin_client.post(page_url(domain, "sending_domain_verify"), follow=True)
    text = content.content.decode()
    assert "acme.example is verified" in text
    assert '<span class="badge badge--success">Verified</span>' in text
    domain.refresh_from_db()
    assert domain.verified


def test_a_wrong_spf_record_shows_what_was_found_and_the_merged_value(
    admin_client: Client, admin_agent, dns_server: DnsServer
) -> None:
    domain = sending_domain_add(workspace=admin_agent.workspace, domain="acme.example")
    publish_all(dns_server, domain)
    dns_server.set_txt("acme.example", "v=spf1 include:_spf.google.com ~all")
    page = admin_client.post(page_url(domain, "sending_domain_verify"), follow=True)
    content = page.content.decode()
    include = settings.SENDING_SPF_INCLUDE
    assert f"The SPF record of acme.example does not include:{include}: add it." in content
    assert "Found: <code" in content and "v=spf1 include:_spf.google.com ~all</code>" in content
    merged = f"v=spf1 include:_spf.google.com include:{include} ~all"
    assert f'data-copy="{merged}"' in content


def test_another_workspaces_domain_is_not_found(admin_client: Client) -> None:
    other = sending_domain_add(workspace=AdminFactory().workspace, domain="acme.example")
    assert admin_client.get(page_url(other)).status_code == 404
    assert admin_client.post(page_url(other, "sending_domain_verify")).status_code == 404
    assert admin_client.post(page_url(other, "sending_domain_remove")).status_code == 404
    assert SendingDomain.objects.filter(pk=other.pk).exists()


def test_removing_asks_first_and_explains_the_effect(
    admin_client: Client, admin_agent, dns_server: DnsServer
) -> None:
    domain = sending_domain_add(workspace=admin_agent.workspace, domain="acme.example")
    publish_all(dns_server, domain)
    sending_domain_verify(sending_domain=domain, now=timezone.now())
    channel = ForwardingAddressFactory(
        channel__workspace=admin_agent.workspace,
        channel__name="Acme billing",
        channel__from_address_mode=EmailChannel.FromAddressMode.CUSTOM,
        channel__custom_from_address="billing@acme.example",
    ).channel

    confirm = admin_client.get(page_url(domain, "sending_domain_remove")).content.decode()
    assert "Remove acme.example?" in confirm
    assert "needs its own verification mail again" in confirm
    assert "no longer DKIM-signed" in confirm
    assert "Acme billing" in confirm and "billing@acme.example" in confirm
    assert SendingDomain.objects.filter(pk=domain.pk).exists()  # asking removed nothing

    response = admin_client.post(page_url(domain, "sending_domain_remove"), follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert "acme.example is removed." in response.content.decode()
    assert not SendingDomain.objects.exists()
    edit = admin_client.get(reverse("channels_cfg:edit", args=[channel.pk])).content.decode()
    assert "Not verified" in edit


# --- Through the wizard -----------------------------------------------------------------------


def test_a_custom_address_on_a_verified_domain_needs_no_verification_mail_in_the_wizard(
    admin_client: Client, admin_agent, dns_server: DnsServer
) -> None:
    admin_client.post(ADD, {"domain": "acme.example"})
    domain = SendingDomain.objects.get()
    publish_all(dns_server, domain)
    admin_client.post(page_url(domain, "sending_domain_verify"))

    admin_client.post(reverse("channels_cfg:connect"))  # "Other email account"
    draft = EmailChannel.objects.get(status=EmailChannel.Status.DRAFT)
    step = reverse("channels_cfg:connect_from", args=[draft.pk])
    response = admin_client.post(
        step, from_data(from_address_mode="custom", custom_from_address="help@acme.example")
    )
    assert response.status_code == 302  # on to the next step
    page = admin_client.get(step).content.decode()
    assert "Verified domain" in page
    verify = reverse("channels_cfg:connect_from_verify", args=[draft.pk])
    assert f'formaction="{verify}"' not in page  # no Verify address button
    finish = admin_client.post(reverse("channels_cfg:connect_finish", args=[draft.pk]))
    assert finish.status_code == 302 and finish.url == reverse("channels_cfg:channel_list")
    draft.refresh_from_db()
    assert draft.status == EmailChannel.Status.CONNECTED
    assert mail.outbox == []  # no verification mail went anywhere


def test_a_domain_whose_dkim_record_is_missing_still_needs_the_verification_mail(
    admin_client: Client, admin_agent, dns_server: DnsServer
) -> None:
    admin_client.post(ADD, {"domain": "acme.example"})
    domain = SendingDomain.objects.get()
    publish_all(dns_server, domain)
    dns_server.remove(f"{domain.dkim_selector}._domainkey.acme.example")
    admin_client.post(page_url(domain, "sending_domain_verify"))

    admin_client.post(reverse("channels_cfg:connect"))  # "Other email account"
    draft = EmailChannel.objects.get(status=EmailChannel.Status.DRAFT)
    step = reverse("channels_cfg:connect_from", args=[draft.pk])
    admin_client.post(
        step, from_data(from_address_mode="custom", custom_from_address="help@acme.example")
    )
    page = admin_client.get(step).content.decode()
    verify = reverse("channels_cfg:connect_from_verify", args=[draft.pk])
    assert "Verified domain" not in page and f'formaction="{verify}"' in page
    finish = admin_client.post(reverse("channels_cfg:connect_finish", args=[draft.pk]))
    assert finish.status_code == 422
    draft.refresh_from_db()
    assert draft.status == EmailChannel.Status.DRAFT
