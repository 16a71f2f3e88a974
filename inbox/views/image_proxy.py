"""The image proxy's endpoint: a remote image of a mail, fetched by us (inbox.image_proxy)."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from helpdesk.redaction import redact_addresses
from inbox.image_proxy import ImageFetchError, fetch_image, fetch_slot, signed_image

logger = logging.getLogger(__name__)


@require_GET
def image_proxy(request: HttpRequest) -> HttpResponse:
    """No session: the sandboxed message frame sends no cookies; the signature is what allows
    the fetch, and names the viewer it counts against (else the client's address does)."""
    image = signed_image(request.GET.get("src", ""))
    if image is None:
        raise Http404("Unknown image")
    viewer = image.viewer or f"address:{request.META.get('REMOTE_ADDR', '')}"
    with fetch_slot(viewer) as allowed:
        if not allowed:
            logger.info("Image proxy: too many fetches at once for one viewer; answered 429")
            return HttpResponse(status=429, headers={"Retry-After": "2"})
        try:
            fetched = fetch_image(image.url)
        except ImageFetchError as error:
            # A tracking pixel's URL often names its recipient (`?e=jane%40example.com`).
            logger.info(
                "Image proxy refused %s: %s",
                redact_addresses(image.url[:200]),
                redact_addresses(str(error)),
            )
            return HttpResponse(status=502)
    response = HttpResponse(fetched.content, content_type=fetched.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=86400"
    return response
