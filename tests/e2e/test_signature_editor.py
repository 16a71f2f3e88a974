"""The signature editor's Link and Image dialogs in a real Chromium: keyboard only for the link,
a real upload for the image, both seen in the live preview and stored."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from channels_cfg.models import EmailChannel, SignatureImage
from channels_cfg.services.wizard import channel_draft_start
from channels_cfg.signature import signature_image_src
from tests.e2e.conftest import login
from tests.e2e.test_wizard import PASSWORD, start_wizard, wait_for_step
from tests.factories import AdminFactory
from tests.images import png

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _patient_expect(settings, tmp_path) -> object:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    expect.set_options(timeout=10_000)
    yield
    expect.set_options(timeout=5_000)


def active(page) -> str:
    """What has the keyboard focus, as a short description."""
    return page.evaluate(
        """() => { const el = document.activeElement;
            return el.id || el.dataset.signatureArea !== undefined && 'area' || el.textContent.trim(); }"""
    )


def test_a_link_by_keyboard_only_and_an_uploaded_image_show_in_the_preview(
    page, live_server, screenshot_dir
) -> None:
    admin = AdminFactory(user__first_name="Lee", user__last_name="Adams")
    login(page, live_server, admin.user.username, PASSWORD)
    start_wizard(page, live_server)
    page.locator("summary", has_text="Add team signature").focus()
    page.keyboard.press("Enter")
    area = page.locator("[data-signature-area]")
    area.focus()
    page.keyboard.type("Help: ")

    # To the toolbar's Link button and into its dialog, keyboard only.
    for _ in range(3):
        page.keyboard.press("Shift+Tab")
    assert active(page) == "Link"
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Insert a link")
    expect(dialog).to_be_visible()
    assert active(page) == "link-url"

    # An address that is not a web page or an email is refused next to its field.
    page.keyboard.type("javascript:alert(1)")
    page.keyboard.press("Enter")
    error = dialog.locator("#link-url-error")
    expect(error).to_have_text(re.compile("web page .* or an email"))
    url_field = dialog.get_by_label("Address")
    expect(url_field).to_have_attribute("aria-invalid", "true")
    expect(url_field).to_have_attribute("aria-describedby", re.compile("link-url-error"))
    assert active(page) == "link-url"
    screenshot_dir.joinpath("signature-link-dialog-error.png").write_bytes(page.screenshot())

    # Esc closes it and gives the editor its focus back, nothing inserted.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # The dialog's close event (a task after it hides) gives the editor its focus back.
    page.wait_for_function("() => document.activeElement.dataset.signatureArea !== undefined")
    assert active(page) == "area"

    for _ in range(3):
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(error).to_be_hidden()  # a fresh start
    page.keyboard.type("acme.example/help")  # https:// is implied
    page.keyboard.press("Tab")
    assert active(page) == "link-text"
    page.keyboard.type("our help pages")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    # The dialog's close event (a task after it hides) gives the editor its focus back.
    page.wait_for_function("() => document.activeElement.dataset.signatureArea !== undefined")
    assert active(page) == "area"
    page.keyboard.type(".")  # the caret is back where it was, after the link

    signature = page.locator("[data-preview-signature]")
    link = signature.locator('a[href="https://acme.example/help"]')
    expect(link).to_have_text("our help pages")
    expect(signature).to_contain_text("Help: our help pages.")

    # The Image dialog: a file that is not an image is refused by the server, next to the field.
    page.get_by_role("button", name="Image").click()
    image_dialog = page.get_by_role("dialog", name="Insert an image")
    expect(image_dialog).to_be_visible()
    file_field = image_dialog.get_by_label("Image file")
    file_field.set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": b"<svg><script/></svg>"}]
    )
    image_dialog.get_by_role("button", name="Insert image").click()
    expect(image_dialog.locator("#image-file-error")).to_have_text(
        "Choose a PNG, JPEG, GIF or WebP image."
    )
    expect(file_field).to_have_attribute("aria-invalid", "true")

    # A real PNG is uploaded, inserted with its description and shown by the preview.
    file_field.set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": png(40, 12)}]
    )
    image_dialog.get_by_label("Description").fill("Acme logo")
    image_dialog.get_by_role("button", name="Insert image").click()
    expect(image_dialog).to_be_hidden()
    image = SignatureImage.objects.get()
    src = signature_image_src(image.pk)
    shown = signature.locator(f'img[src="{src}"][alt="Acme logo"]')
    expect(shown).to_have_count(1)
    page.wait_for_function(
        "(sel) => { const img = document.querySelector(sel); return img && img.naturalWidth === 40; }",
        arg=f'[data-preview-signature] img[src="{src}"]',
    )
    screenshot_dir.joinpath("signature-image-in-preview.png").write_bytes(page.screenshot())

    page.get_by_role("button", name="Next").click()
    wait_for_step(page, "assignment")
    stored = EmailChannel.objects.get(workspace=admin.workspace).signature_html
    assert (
        '<a href="https://acme.example/help" rel="noopener noreferrer">our help pages</a>' in stored
    )
    assert f'<img src="{src}" alt="Acme logo">' in stored


def test_without_javascript_an_image_is_uploaded_by_the_steps_own_form(
    browser, live_server
) -> None:
    admin = AdminFactory()
    draft = channel_draft_start(workspace=admin.workspace, created_by=admin.user)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, live_server, admin.user.username, PASSWORD)
        page.goto(f"{live_server.url}/settings/channels/connect/{draft.pk}/from/")
        page.locator("summary", has_text="Add team signature").click()
        page.locator("textarea[name=signature_html]").fill("<p>Thanks, {{full_name}}</p>")
        page.get_by_label("Add an image").set_input_files(
            files=[{"name": "logo.gif", "mimeType": "image/gif", "buffer": b"not a gif"}]
        )
        page.get_by_role("button", name="Upload image").click()
        expect(page.locator("#id_signature_image-error")).to_have_text(
            "Choose a PNG, JPEG, GIF or WebP image."
        )
        page.get_by_label("Add an image").set_input_files(
            files=[{"name": "logo.png", "mimeType": "image/png", "buffer": png(20, 8)}]
        )
        page.get_by_label("Image description").fill("Acme logo")
        page.get_by_role("button", name="Upload image").click()
        expect(page.get_by_role("status")).to_have_text("Image added to the signature.")
        src = signature_image_src(SignatureImage.objects.get().pk)
        preview = page.locator(f'[data-preview-signature] img[src="{src}"][alt="Acme logo"]')
        expect(preview).to_have_count(1)
        draft.refresh_from_db()
        assert draft.signature_html == (
            f'<p>Thanks, {{{{full_name}}}}</p><p><img src="{src}" alt="Acme logo"></p>'
        )
    finally:
        context.close()
