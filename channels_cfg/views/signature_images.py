"""Signature images: the upload (from the editor's Image dialog, or step 1's form without
JavaScript) and the image itself, shown to the workspace's agents from our URL."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from channels_cfg.models import SignatureImage
from channels_cfg.services import signature_images as image_services
from channels_cfg.signature import signature_image_src
from channels_cfg.views.wizard import from_step_page, from_step_save, step_channel
from helpdesk.refusals import Refused
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import admin_required, agent_required, get_scoped_or_404


def _wants_json(request: AgentRequest) -> bool:
    # The editor's fetch asks for JSON; a form post's Accept lists */*, which must not count.
    return "application/json" in request.headers.get("Accept", "")


@admin_required
@require_POST
def signature_image_upload(request: AgentRequest, pk: int, editing: bool = False) -> HttpResponse:
    """Upload an image for the signature. The editor gets {"src": ...} (or {"error": ...}, 400)
    and inserts it itself; a plain form post saves step 1 too, adds the image at the end of the
    signature and shows the step again (the error next to the file field)."""
    channel = step_channel(request, pk, "from", editing=editing)
    if isinstance(channel, HttpResponse):
        return channel
    upload = request.FILES.get("signature_image")
    if _wants_json(request):
        try:
            image = image_services.signature_image_create(channel=channel, upload=upload)
        except Refused as error:
            return JsonResponse({"error": error.message}, status=400)
        return JsonResponse({"src": signature_image_src(image.pk)}, status=201)
    form = from_step_save(request, channel)
    if form.errors:
        return from_step_page(request, channel, form=form)
    try:
        image = image_services.signature_image_create(channel=channel, upload=upload)
    except Refused as error:
        return from_step_page(request, channel, image_error=error.message)
    image_services.channel_signature_image_append(
        channel=channel, image=image, alt=request.POST.get("signature_image_alt", "")
    )
    return from_step_page(request, channel, notice="Image added to the signature.")


@agent_required
@require_GET
def signature_image(request: AgentRequest, image_id: int) -> FileResponse:
    """The image, to the agents of its channel's workspace (the editor, previews, the composer)."""
    image = get_scoped_or_404(SignatureImage, request.workspace, pk=image_id)
    try:
        handle = image.file.open("rb")
    except OSError as error:  # the row outlived its file (media restored from an older backup)
        raise Http404("Not found") from error
    response = FileResponse(handle, content_type=image.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # An image never changes: a new upload is a new URL.
    response["Cache-Control"] = "private, max-age=604800, immutable"
    return response
