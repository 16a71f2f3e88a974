"""The admins' log of rejected mail, under /settings/rejected/, with "Process anyway" and
"Block sender"."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channels_cfg.models import EmailChannel
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import admin_required, get_scoped_or_404, scoped
from inbox.models import InboundEmail
from inbox.presenters import present_rejected_mail
from inbox.services.intake import inbound_email_reprocess
from inbox.services.senders import sender_block
from inbox.views.refusals import answers_refusals

PAGE_SIZE = 50


@admin_required
def rejected_list(request: AgentRequest) -> HttpResponse:
    workspace = request.workspace
    rows = (
        scoped(InboundEmail, workspace)
        .filter(status=InboundEmail.Status.REJECTED)
        .select_related("channel")
        .defer("raw")
        .order_by("-received_at", "-id")
    )
    channels = scoped(EmailChannel, workspace).order_by("name", "pk")
    channel_id = request.GET.get("channel", "")
    if channel_id.isdigit():
        rows = rows.filter(channel_id=int(channel_id))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [present_rejected_mail(row) for row in page],
        "channels": channels,
        "channel_id": channel_id,
    }
    return render(request, "inbox/rejected_list.html", context)


def _row(request: AgentRequest, pk: int) -> InboundEmail:
    return get_scoped_or_404(InboundEmail.objects.defer("raw"), request.workspace, pk=pk)


def _back(request: AgentRequest, **kwargs: object) -> str:
    query = request.POST.get("next_query", "")
    return "rejected:list" if not query else f"/settings/rejected/?{query}"


@admin_required
@require_POST
def rejected_process_anyway(request: AgentRequest, pk: int) -> HttpResponse:
    rejected = present_rejected_mail(_row(request, pk))
    if rejected.can_process:
        inbound_email_reprocess(
            inbound_email_id=pk,
            skip_checks=[rejected.email.reason_code],
            only_if_rejected=True,
        )
        messages.success(request, "The message is being processed again.")
    return redirect(_back(request))


@admin_required
@require_POST
@answers_refusals(redirect_to=_back)
def rejected_block_sender(request: AgentRequest, pk: int) -> HttpResponse:
    sender = present_rejected_mail(_row(request, pk)).sender_address
    if sender:
        value = sender.rpartition("@")[2] if request.POST.get("scope") == "domain" else sender
        sender_block(workspace_id=request.workspace.pk, value=value, by=request.agent)
        messages.success(request, f"Mail from {value} will be rejected.")
    return redirect(_back(request))
