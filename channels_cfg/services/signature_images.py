"""Writes of signature images: an admin's upload, checked by its bytes, stored as media."""

from __future__ import annotations

import html

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from channels_cfg.models import EmailChannel, SignatureImage
from channels_cfg.signature import (
    IMAGE_EXTENSIONS,
    MAX_SIGNATURE_IMAGE_BYTES,
    image_type,
    sanitize_signature,
    signature_image_src,
)
from helpdesk.refusals import Refused

FIELD = "signature_image"


def signature_image_create(*, channel: EmailChannel, upload: UploadedFile | None) -> SignatureImage:
    """Store an uploaded PNG, JPEG, GIF or WebP of at most 1 MB for the channel's signature.
    Refused (naming the file field) for no file, a larger one, or one that is not such an image,
    whatever type the browser claimed."""
    if upload is None or not upload.size:
        raise Refused("Choose an image file.", field=FIELD)
    limit_kb = MAX_SIGNATURE_IMAGE_BYTES // 1024
    if upload.size > MAX_SIGNATURE_IMAGE_BYTES:
        raise Refused(f"The image is too large: at most {limit_kb} KB.", field=FIELD)
    content = upload.read(MAX_SIGNATURE_IMAGE_BYTES + 1)
    if len(content) > MAX_SIGNATURE_IMAGE_BYTES:
        raise Refused(f"The image is too large: at most {limit_kb} KB.", field=FIELD)
    content_type = image_type(content[:12])
    if content_type is None:
        raise Refused("Choose a PNG, JPEG, GIF or WebP image.", field=FIELD)
    name = f"signature.{IMAGE_EXTENSIONS[content_type]}"
    with transaction.atomic():
        return SignatureImage.objects.create(
            channel=channel,
            file=ContentFile(content, name=name),
            content_type=content_type,
            size=len(content),
        )


def channel_signature_image_append(
    *, channel: EmailChannel, image: SignatureImage, alt: str
) -> EmailChannel:
    """Add the image at the end of the channel's signature (the upload without JavaScript)."""
    tag = f'<img src="{signature_image_src(image.pk)}" alt="{html.escape(alt.strip()[:200])}">'
    with transaction.atomic():
        channel.signature_html = sanitize_signature(f"{channel.signature_html}<p>{tag}</p>")
        channel.save(update_fields=["signature_html"])
    return channel
