"""A signature's uploaded image travels inside each reply as an inline `cid:` part, never as a
URL the contact's mail client would fetch."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_cfg.models import SignatureImage
from channels_cfg.signature import signature_image_src
from inbox.models import Attachment, Message
from inbox.presenters import present_message
from tests.factories import EmailChannelFactory
from tests.images import png

pytestmark = pytest.mark.django_db

LOGO = png(6, 3, (200, 30, 30))


@pytest.fixture
def logo(channel) -> SignatureImage:
    image = SignatureImage.objects.create(
        channel=channel,
        file=ContentFile(LOGO, name="logo.png"),
        content_type="image/png",
        size=len(LOGO),
    )
    channel.signature_html = (
        f'<p>Cheers, {{{{first_name}}}}</p><p><img src="{signature_image_src(image.pk)}" '
        'alt="Acme logo"></p>'
    )
    channel.save(update_fields=["signature_html"])
    return image


def send_reply(client, thread, capture, **data) -> EmailMessage:
    with capture(execute=True):
        response = client.post(
            f"/inbox/threads/{thread.pk}/reply/", {"body": "Have you tried water?", **data}
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    parsed = message_from_bytes(mail.outbox[0].message().as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def html_of(parsed: EmailMessage) -> str:
    part = parsed.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def test_the_signature_image_is_an_inline_related_part_named_by_the_htmls_cid(
    agent_client, conversation, logo, django_capture_on_commit_callbacks
) -> None:
    parsed = send_reply(agent_client, conversation, django_capture_on_commit_callbacks)

    assert parsed.get_content_type() == "multipart/related"
    root, image = parsed.iter_parts()
    assert root.get_content_type() == "multipart/alternative"
    assert image.get_content_type() == "image/png"
    assert image.get_content_disposition() == "inline"
    assert image.get_content() == LOGO
    content_id = image["Content-ID"].strip("<>")

    html = html_of(parsed)
    assert f'<img src="cid:{content_id}" alt="Acme logo">' in html
    # Nothing the contact's client could fetch: no URL of ours, no remote URL at all.
    assert re.findall(r'src="([^"]*)"', html) == [f"cid:{content_id}"]
    assert "/settings/signature-images/" not in html
    assert "http" not in html
    # Our own copy shows it in the thread from the same inline part.
    message = Message.objects.get(direction=Message.Direction.OUT)
    stored = Attachment.objects.get(message=message)
    assert (stored.is_inline, stored.content_id) == (True, content_id)
    shown = present_message(message)
    assert shown.attachments == []
    assert "data:image/png;base64," in shown.body.srcdoc


def test_other_attachments_stay_outside_the_related_part(
    agent_client, conversation, logo, django_capture_on_commit_callbacks
) -> None:
    report = SimpleUploadedFile("report.txt", b"all fine", content_type="text/plain")
    parsed = send_reply(
        agent_client, conversation, django_capture_on_commit_callbacks, attachments=report
    )

    assert parsed.get_content_type() == "multipart/mixed"
    related, attached = parsed.iter_parts()
    assert related.get_content_type() == "multipart/related"
    assert [part.get_content_type() for part in related.iter_parts()] == [
        "multipart/alternative",
        "image/png",
    ]
    assert attached.get_content_disposition() == "attachment"
    assert attached.get_filename() == "report.txt"


def test_the_esp_backend_sends_the_image_as_an_inline_attachment(
    settings, agent_client, conversation, logo, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    send_reply(agent_client, conversation, django_capture_on_commit_callbacks)
    attachments = mail.outbox[0].anymail_test_params["attachments"]
    assert [(item.inline, item.content) for item in attachments] == [(True, LOGO)]
    assert f"cid:{attachments[0].cid}" in mail.outbox[0].alternatives[0][0]


def test_an_image_that_is_not_the_workspaces_or_is_remote_is_left_out(
    agent_client, conversation, channel, django_capture_on_commit_callbacks
) -> None:
    foreign = SignatureImage.objects.create(
        channel=EmailChannelFactory(),
        file=ContentFile(LOGO, name="logo.png"),
        content_type="image/png",
        size=len(LOGO),
    )
    # Stored before images were checked, or written behind the sanitizer's back.
    channel.signature_html = (
        f'<p>Cheers</p><img src="{signature_image_src(foreign.pk)}">'
        '<img src="https://tracker.example/pixel.gif">'
    )
    channel.save(update_fields=["signature_html"])
    parsed = send_reply(agent_client, conversation, django_capture_on_commit_callbacks)

    assert parsed.get_content_type() == "multipart/alternative"
    html = html_of(parsed)
    assert "<img" not in html and "tracker.example" not in html
    assert "Cheers" in html
