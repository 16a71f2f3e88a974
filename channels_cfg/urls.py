from django.urls import path

from channels_cfg import channel_views, views

app_name = "channels_cfg"

urlpatterns = [
    path("", channel_views.settings_index, name="settings"),
    path("channels/", channel_views.channel_list, name="channel_list"),
    # --- wizard (issue 4) ---
    path("channels/connect/", views.connect_start, name="connect"),
    path("channels/connect/<int:pk>/from/", views.connect_from, name="connect_from"),
    path("channels/connect/<int:pk>/preview/", views.from_preview, name="connect_preview"),
    path(
        "channels/connect/<int:pk>/assignment/",
        views.connect_assignment,
        name="connect_assignment",
    ),
    path("channels/connect/<int:pk>/address/", views.connect_address, name="connect_address"),
    path("channels/connect/<int:pk>/provider/", views.connect_provider, name="connect_provider"),
    path(
        "channels/connect/<int:pk>/confirmation/",
        views.connect_confirmation,
        name="connect_confirmation",
    ),
    path("channels/connect/<int:pk>/finish/", views.connect_finish, name="connect_finish"),
    path("channels/<int:pk>/edit/", views.channel_edit, name="edit"),
    path(
        "channels/<int:pk>/edit/assignment/",
        views.channel_edit_assignment,
        name="edit_assignment",
    ),
    path("channels/<int:pk>/disconnect/", channel_views.channel_disconnect, name="disconnect"),
    path("channels/<int:pk>/reconnect/", channel_views.channel_reconnect, name="reconnect"),
    path("channels/<int:pk>/test-email/", channel_views.channel_test_email, name="test_email"),
    path(
        "channels/<int:pk>/test-email/status/",
        channel_views.channel_test_email_status,
        name="test_email_status",
    ),
    path(
        "channels/verify-from-address/<str:token>/",
        views.verify_from_address,
        name="verify_from_address",
    ),
]
