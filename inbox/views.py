from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

from helpdesk.tenancy import agent_required, get_scoped_or_404, scoped
from inbox.models import Attachment, Thread


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


@agent_required
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    thread = get_scoped_or_404(Thread, workspace, pk=pk)
    messages = thread.messages.order_by("created_at", "id")
    return render(request, "inbox/thread.html", {"thread": thread, "thread_messages": messages})


@agent_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Always a download, never rendered in our origin (RELIABILITY.md row 43)."""
    workspace = request.workspace  # type: ignore[attr-defined]
    attachment = get_scoped_or_404(Attachment, workspace, pk=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename or "attachment",
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
