from django.urls import path

from channels_cfg import views

app_name = "channels_cfg"

urlpatterns = [
    path("", views.settings_index, name="settings"),
    path("channels/", views.channel_list, name="channel_list"),
]
