"""The image proxy's endpoint: a remote image of a mail, fetched by us (inbox.image_proxy)."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from helpdesk.redaction import redact_addresses
from inbox.image_proxy import ImageFetchError, fetch_image, url_from_signed

logger = logging.getLogger(__name__)


@require_GET
def image_proxy(request: HttpRequest) -> HttpResponse:
    """No session: the sandboxed message frame sends no cookies; the signature is what allows
    the fetch."""
    url = url_from_signed(request.GET.get("src", ""))
    if url is None:
        raise Http404("Unknown image")
    try:
        image = fetch_image(url)
    except ImageFetchError as error:
        # A tracking pixel's URL often names its recipient (`?e=jane%40example.com`).
        logger.info(
            "Image proxy refused %s: %s", redact_addresses(url[:200]), redact_addresses(str(error))
        )
        return HttpResponse(status=502)
    response = HttpResponse(image.content, content_type=image.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=86400"
    return response
