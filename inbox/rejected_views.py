from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from helpdesk.tenancy import admin_required, scoped
from inbox.models import InboundEmail


@admin_required
def rejected_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    rows = (
        scoped(InboundEmail, workspace)
        .filter(status=InboundEmail.Status.REJECTED)
        .defer("raw")
        .order_by("-received_at", "-id")[:100]
    )
    return render(request, "inbox/rejected_list.html", {"rows": rows})
