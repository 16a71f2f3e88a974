"""The admins' log of rejected mail, with "Process anyway" and "Block sender"."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channels_cfg.models import EmailChannel
from helpdesk.tenancy import admin_required, get_scoped_or_404, scoped
from inbox.inbound.parse import addresses
from inbox.inbound.validate import SKIPPABLE
from inbox.models import InboundEmail
from inbox.services.inbound import blocked_sender_add, inbound_process_anyway

PAGE_SIZE = 50


@admin_required
def rejected_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
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
    for row in page:
        row.sender_address = _sender(row)  # type: ignore[attr-defined]
        row.can_process = row.reason_code in SKIPPABLE  # type: ignore[attr-defined]
    context = {"page": page, "channels": channels, "channel_id": channel_id}
    return render(request, "inbox/rejected_list.html", context)


@admin_required
@require_POST
def rejected_process_anyway(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    row = get_scoped_or_404(InboundEmail.objects.defer("raw"), workspace, pk=pk)
    if row.reason_code in SKIPPABLE:
        inbound_process_anyway(row=row)
        messages.success(request, "The message is being processed again.")
    return redirect(_back(request))


@admin_required
@require_POST
def rejected_block_sender(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    row = get_scoped_or_404(InboundEmail.objects.defer("raw"), workspace, pk=pk)
    sender = _sender(row)
    if sender:
        value = sender.rpartition("@")[2] if request.POST.get("scope") == "domain" else sender
        blocked_sender_add(workspace_id=workspace.pk, value=value, created_by_id=request.user.pk)
        messages.success(request, f"Mail from {value} will be rejected.")
    return redirect(_back(request))


def _sender(row: InboundEmail) -> str:
    found = addresses(row.from_header)
    return found[0][1] if found else ""


def _back(request: HttpRequest) -> str:
    query = request.POST.get("next_query", "")
    return "rejected:list" if not query else f"/settings/rejected/?{query}"
