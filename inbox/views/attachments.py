"""Attachment downloads: always a download, never rendered in our origin (docs/reliability.md,
"Attachment downloads")."""

from __future__ import annotations

from django.http import FileResponse

from helpdesk.requests import AgentRequest
from helpdesk.tenancy import agent_required, get_scoped_or_404
from inbox.models import Attachment

# Attachment downloads never carry the sender's Content-Type.
DOWNLOAD_CONTENT_TYPE = "application/octet-stream"


@agent_required
def attachment_download(request: AgentRequest, pk: int) -> FileResponse:
    attachment = get_scoped_or_404(Attachment, request.workspace, pk=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename or "attachment",
        content_type=DOWNLOAD_CONTENT_TYPE,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
