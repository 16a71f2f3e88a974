from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from helpdesk.tenancy import agent_required, scoped
from inbox.models import Thread


@agent_required
def inbox_index(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    threads = (
        scoped(Thread, workspace)
        .filter(status=Thread.Status.OPEN, is_spam=False)
        .select_related("contact", "assignee")
        .order_by("-last_message_at", "-id")[:50]
    )
    return render(request, "inbox/index.html", {"threads": threads})
