"""The admins' blocked senders, under /settings/blocked/ (inbox data, settings navigation)."""

from django.urls import path

from inbox import blocked_views

app_name = "blocked"

urlpatterns = [
    path("", blocked_views.blocked_list, name="list"),
    path("<int:pk>/unblock/", blocked_views.blocked_unblock, name="unblock"),
]
