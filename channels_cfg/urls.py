from __future__ import annotations

from django.urls import path

from channels_cfg.views import channels, sending_domains, signature_images, verification, wizard

app_name = "channels_cfg"

EDITING = {"editing": True}

urlpatterns = [
    path("", channels.settings_index, name="settings"),
    path("channels/", channels.channel_list, name="channel_list"),
    # Settings > Sending domains.
    path("sending-domains/", sending_domains.sending_domain_list, name="sending_domains"),
    path("sending-domains/add/", sending_domains.sending_domain_add, name="sending_domain_add"),
    path(
        "sending-domains/<int:pk>/",
        sending_domains.sending_domain_detail,
        name="sending_domain",
    ),
    path(
        "sending-domains/<int:pk>/verify/",
        sending_domains.sending_domain_verify,
        name="sending_domain_verify",
    ),
    path(
        "sending-domains/<int:pk>/remove/",
        sending_domains.sending_domain_remove,
        name="sending_domain_remove",
    ),
    # The connect wizard: a draft's four steps, each with its own actions.
    path("channels/connect/", wizard.connect_start, name="connect"),
    path("channels/connect/<int:pk>/from/", wizard.from_step, name="connect_from"),
    path(
        "channels/connect/<int:pk>/from/verify/",
        verification.from_verify,
        name="connect_from_verify",
    ),
    path(
        "channels/connect/<int:pk>/from/send-verification/",
        verification.from_send_verification,
        name="connect_from_send_verification",
    ),
    path(
        "channels/connect/<int:pk>/from/signature-image/",
        signature_images.signature_image_upload,
        name="connect_from_signature_image",
    ),
    path("channels/connect/<int:pk>/preview/", wizard.from_preview, name="connect_preview"),
    path(
        "channels/connect/<int:pk>/assignment/",
        wizard.assignment_step,
        name="connect_assignment",
    ),
    path(
        "channels/connect/<int:pk>/assignment/back/",
        wizard.assignment_back,
        name="connect_assignment_back",
    ),
    path(
        "channels/connect/<int:pk>/assignment/ticket/",
        wizard.assignment_ticket,
        name="connect_assignment_ticket",
    ),
    path(
        "channels/connect/<int:pk>/assignment/ticket/save/",
        wizard.assignment_ticket_save,
        name="connect_assignment_ticket_save",
    ),
    path("channels/connect/<int:pk>/address/", wizard.address_step, name="connect_address"),
    path(
        "channels/connect/<int:pk>/address/customize/",
        wizard.address_customize,
        name="connect_address_customize",
    ),
    path("channels/connect/<int:pk>/provider/", wizard.provider_step, name="connect_provider"),
    path(
        "channels/connect/<int:pk>/confirmation/",
        wizard.connect_confirmation,
        name="connect_confirmation",
    ),
    path("channels/connect/<int:pk>/finish/", wizard.connect_finish, name="connect_finish"),
    path("channels/connect/<int:pk>/discard/", wizard.connect_discard, name="connect_discard"),
    # A connected channel's edit pages: the wizard's first two steps.
    path("channels/<int:pk>/edit/", wizard.from_step, EDITING, name="edit"),
    path("channels/<int:pk>/edit/verify/", verification.from_verify, EDITING, name="edit_verify"),
    path(
        "channels/<int:pk>/edit/send-verification/",
        verification.from_send_verification,
        EDITING,
        name="edit_send_verification",
    ),
    path(
        "channels/<int:pk>/edit/signature-image/",
        signature_images.signature_image_upload,
        EDITING,
        name="edit_signature_image",
    ),
    path(
        "channels/<int:pk>/edit/assignment/",
        wizard.assignment_step,
        EDITING,
        name="edit_assignment",
    ),
    path(
        "channels/<int:pk>/edit/assignment/ticket/",
        wizard.assignment_ticket,
        EDITING,
        name="edit_assignment_ticket",
    ),
    path(
        "channels/<int:pk>/edit/assignment/ticket/save/",
        wizard.assignment_ticket_save,
        EDITING,
        name="edit_assignment_ticket_save",
    ),
    # A channel's actions on the list.
    path("channels/<int:pk>/disconnect/", channels.channel_disconnect, name="disconnect"),
    path("channels/<int:pk>/reconnect/", channels.channel_reconnect, name="reconnect"),
    path("channels/<int:pk>/test-email/", channels.channel_test_email, name="test_email"),
    path(
        "channels/<int:pk>/test-email/status/",
        channels.channel_test_email_status,
        name="test_email_status",
    ),
    # The link in the verification mail.
    path(
        "channels/verify-from-address/<str:token>/",
        verification.verify_from_address,
        name="verify_from_address",
    ),
    # A signature's image, as the editor, previews and the composer show it to agents.
    path(
        "signature-images/<int:image_id>/",
        signature_images.signature_image,
        name="signature_image",
    ),
]
