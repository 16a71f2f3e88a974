"""Attachment downloads: always a download, never rendered in our origin (docs/reliability.md,
"Attachment downloads")."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse

from helpdesk.requests import AgentRequest
from helpdesk.tenancy import agent_required, get_scoped_or_404
from inbox.models import Attachment

# Attachment downloads never carry the sender's Content-Type.
DOWNLOAD_CONTENT_TYPE = "application/octet-stream"


def download_response(file: FieldFile, filename: str) -> FileResponse:
    """A stored file as a download: our content type, no sniffing, a sandbox if it is opened.
    For mail attachments and notes' files."""
    response = FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=filename or "attachment",
        content_type=DOWNLOAD_CONTENT_TYPE,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@agent_required
def attachment_download(request: AgentRequest, pk: int) -> FileResponse:
    attachment = get_scoped_or_404(Attachment, request.workspace, pk=pk)
    return download_response(attachment.file, attachment.filename)
