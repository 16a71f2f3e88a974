"""Signature images: the upload (editor and no-JavaScript form) and the image as agents see it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from channels_cfg.models import SignatureImage
from channels_cfg.signature import MAX_SIGNATURE_IMAGE_BYTES, signature_image_src
from tests.channels_cfg.conftest import from_data
from tests.factories import AdminFactory, EmailChannelFactory
from tests.images import png

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def upload_url(channel) -> str:
    return reverse("channels_cfg:connect_from_signature_image", args=[channel.pk])


def upload(client: Client, channel, content: bytes, *, content_type: str = "image/png", **extra):
    image = SimpleUploadedFile("logo.png", content, content_type=content_type)
    return client.post(upload_url(channel), {"signature_image": image}, **extra)


def test_an_admin_uploads_a_png_and_gets_its_url(admin_client: Client, draft) -> None:
    content = png()
    # The browser's claimed type is ignored: the bytes say PNG.
    response = upload(admin_client, draft, content, content_type="text/plain", **JSON)
    assert response.status_code == 201
    image = SignatureImage.objects.get()
    assert response.json() == {"src": signature_image_src(image.pk)}
    assert (image.channel, image.content_type, image.size) == (draft, "image/png", len(content))
    with image.file.open("rb") as handle:
        assert handle.read() == content
    assert "logo" not in image.file.name  # never a name the uploader chose


@pytest.mark.parametrize(
    ("content", "content_type", "error"),
    [
        (png() + b"\x00" * MAX_SIGNATURE_IMAGE_BYTES, "image/png", "too large"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/png",
            "PNG, JPEG, GIF or WebP",
        ),
        (b"<html><body>hello</body></html>", "image/gif", "PNG, JPEG, GIF or WebP"),
        (b"%PDF-1.7\n", "image/jpeg", "PNG, JPEG, GIF or WebP"),
    ],
)
def test_an_upload_that_is_too_big_or_not_an_image_is_refused(
    admin_client: Client, draft, content: bytes, content_type: str, error: str
) -> None:
    response = upload(admin_client, draft, content, content_type=content_type, **JSON)
    assert response.status_code == 400
    assert error in response.json()["error"]
    assert not SignatureImage.objects.exists()


def test_an_upload_without_a_file_is_refused(admin_client: Client, draft) -> None:
    response = admin_client.post(upload_url(draft), {}, **JSON)
    assert response.status_code == 400
    assert response.json() == {"error": "Choose an image file."}


def test_an_agent_who_is_not_an_admin_cannot_upload(agent_client: Client, draft) -> None:
    response = upload(agent_client, draft, png(), **JSON)
    assert response.status_code == 403
    assert not SignatureImage.objects.exists()


def test_an_upload_without_the_csrf_token_is_refused(admin_agent, draft) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_agent.user)
    response = upload(client, draft, png(), **JSON)
    assert response.status_code == 403
    assert not SignatureImage.objects.exists()


def test_an_admin_of_another_workspace_cannot_upload_to_the_channel(draft) -> None:
    client = Client()
    client.force_login(AdminFactory().user)
    assert upload(client, draft, png(), **JSON).status_code == 404
    assert not SignatureImage.objects.exists()


def test_the_upload_answers_only_post(admin_client: Client, draft) -> None:
    assert admin_client.get(upload_url(draft)).status_code == 405


def test_without_javascript_the_upload_saves_the_step_and_adds_the_image(
    admin_client: Client, draft
) -> None:
    image = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    data = from_data(signature_html="<p>Best, {{first_name}}</p>")
    data.update(signature_image=image, signature_image_alt='Acme "logo"')
    response = admin_client.post(upload_url(draft), data)
    assert response.status_code == 200
    stored = SignatureImage.objects.get()
    draft.refresh_from_db()
    src = signature_image_src(stored.pk)
    assert draft.signature_html == (
        f'<p>Best, {{{{first_name}}}}</p><p><img src="{src}" alt="Acme &quot;logo&quot;"></p>'
    )
    assert "Image added to the signature." in response.content.decode()


def test_without_javascript_a_refused_upload_shows_the_error_next_to_the_field(
    admin_client: Client, draft
) -> None:
    not_an_image = SimpleUploadedFile("logo.png", b"GIF? no", content_type="image/png")
    data = from_data(signature_html="<p>Kept</p>")
    data.update(signature_image=not_an_image)
    response = admin_client.post(upload_url(draft), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_signature_image-error">Choose a PNG, JPEG, GIF or WebP image.</p>' in page
    assert 'aria-invalid="true"' in page
    draft.refresh_from_db()
    assert draft.signature_html == "<p>Kept</p>"  # the step itself was saved
    assert not SignatureImage.objects.exists()


def test_a_connected_channels_edit_page_uploads_too(admin_client: Client, admin_agent) -> None:
    channel = EmailChannelFactory(workspace=admin_agent.workspace, status="connected")
    url = reverse("channels_cfg:edit_signature_image", args=[channel.pk])
    image = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    response = admin_client.post(url, {"signature_image": image}, **JSON)
    assert response.status_code == 201
    assert SignatureImage.objects.get().channel == channel


def test_agents_of_the_workspace_see_the_image_and_no_one_else(
    admin_client: Client, agent_client: Client, draft
) -> None:
    content = png()
    src = upload(admin_client, draft, content, **JSON).json()["src"]
    response = agent_client.get(src)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    stranger = Client()
    stranger.force_login(AdminFactory().user)
    assert stranger.get(src).status_code == 404
    assert Client().get(src).status_code == 302  # to the login page
