"""The admins' list of blocked senders, under /settings/blocked/, with Unblock."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from helpdesk.requests import AgentRequest
from helpdesk.tenancy import admin_required, get_scoped_or_404, scoped
from inbox.models import BlockedSender
from inbox.services.senders import sender_unblock

PAGE_SIZE = 50


@admin_required
@require_GET
def blocked_list(request: AgentRequest) -> HttpResponse:
    rows = (
        scoped(BlockedSender, request.workspace)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inbox/blocked_list.html", {"page": page})


@admin_required
@require_POST
def blocked_unblock(request: AgentRequest, pk: int) -> HttpResponse:
    blocked = get_scoped_or_404(BlockedSender, request.workspace, pk=pk)
    sender_unblock(blocked=blocked)
    messages.success(request, f"Mail from {blocked.value} is accepted again.")
    page = request.POST.get("page", "")
    return redirect(f"/settings/blocked/?page={page}" if page.isdigit() else "blocked:list")
