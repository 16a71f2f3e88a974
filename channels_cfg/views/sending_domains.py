"""Settings > Sending domains: add a domain, publish its records, Verify, remove."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels_cfg import dns_records, selectors
from channels_cfg.dns_records import DnsRecord, DomainCheck, RecordCheck
from channels_cfg.forms import AccessibleErrorsForm
from channels_cfg.models import SendingDomain
from channels_cfg.services import sending_domains as services
from helpdesk.refusals import Refused, refusal_response
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import admin_required, get_scoped_or_404


class SendingDomainForm(AccessibleErrorsForm):
    domain = forms.CharField(
        label="Domain",
        max_length=253,
        widget=forms.TextInput(
            attrs={"placeholder": "acme.com", "autocomplete": "off", "spellcheck": "false"}
        ),
    )


@dataclass(frozen=True)
class RecordRow:
    """A record to publish and what the last Verify found for it."""

    record: DnsRecord
    check: RecordCheck | None


def _domain_or_404(request: AgentRequest, pk: int) -> SendingDomain:
    return get_scoped_or_404(SendingDomain, request.workspace, pk=pk)


def _list_page(request: AgentRequest, form: SendingDomainForm) -> HttpResponse:
    context = {
        "tab": "sending_domains",
        "form": form,
        "domains": selectors.sending_domain_list(request.workspace),
        "paid": request.workspace.plan == request.workspace.Plan.PAID,
    }
    return render(request, "channels_cfg/sending_domains.html", context)


@admin_required
@require_GET
def sending_domain_list(request: AgentRequest) -> HttpResponse:
    return _list_page(request, SendingDomainForm())


@admin_required
@require_POST
def sending_domain_add(request: AgentRequest) -> HttpResponse:
    form = SendingDomainForm(request.POST)
    if form.is_valid():
        try:
            domain = services.sending_domain_add(
                workspace=request.workspace, domain=form.cleaned_data["domain"]
            )
        except Refused as error:
            form.add_error("domain", str(error))
        else:
            messages.success(request, f"{domain.domain} added. Publish these records, then Verify.")
            return redirect("channels_cfg:sending_domain", domain.pk)
    return _list_page(request, form)


def record_rows(domain: SendingDomain) -> list[RecordRow]:
    """The records to publish, each with the last check's finding."""
    check = DomainCheck.from_json(domain.last_check_result)
    spf = check.checks.get(dns_records.SPF)
    # The domain already has an SPF record without us: suggest that record with our include.
    existing_spf = (
        spf.found[0] if spf and spf.state == dns_records.WRONG and len(spf.found) == 1 else ""
    )
    records = dns_records.records_to_publish(
        domain=domain.domain,
        selector=domain.dkim_selector,
        public_key=domain.dkim_public_key,
        spf_include=settings.SENDING_SPF_INCLUDE,
        existing_spf=existing_spf,
    )
    return [RecordRow(record=record, check=check.checks.get(record.key)) for record in records]


@admin_required
@require_GET
def sending_domain_detail(request: AgentRequest, pk: int) -> HttpResponse:
    domain = _domain_or_404(request, pk)
    context = {
        "tab": "sending_domains",
        "domain": domain,
        "rows": record_rows(domain),
        "problems": DomainCheck.from_json(domain.last_check_result).problems(),
        "spf_include": settings.SENDING_SPF_INCLUDE,
    }
    return render(request, "channels_cfg/sending_domains_detail.html", context)


@admin_required
@require_POST
def sending_domain_verify(request: AgentRequest, pk: int) -> HttpResponse:
    domain = _domain_or_404(request, pk)
    try:
        check = services.sending_domain_verify(sending_domain=domain, now=timezone.now())
    except Refused as error:
        return refusal_response(
            request, error, redirect_to=reverse("channels_cfg:sending_domain", args=[domain.pk])
        )
    if check.verified:
        messages.success(
            request,
            f"{domain.domain} is verified: its addresses can be from addresses without a "
            "verification mail, and replies from it are DKIM-signed.",
        )
    else:
        messages.error(
            request, f"{domain.domain} is not verified yet: " + " ".join(check.problems())
        )
    return redirect("channels_cfg:sending_domain", domain.pk)


@admin_required
@require_http_methods(["GET", "POST"])
def sending_domain_remove(request: AgentRequest, pk: int) -> HttpResponse:
    """GET asks first (and says what removing changes); POST removes."""
    domain = _domain_or_404(request, pk)
    if request.method == "GET":
        context = {
            "tab": "sending_domains",
            "domain": domain,
            "channels": selectors.channels_on_sending_domain(domain),
        }
        return render(request, "channels_cfg/sending_domains_remove.html", context)
    services.sending_domain_remove(sending_domain=domain)
    messages.success(request, f"{domain.domain} is removed.")
    return redirect("channels_cfg:sending_domains")
