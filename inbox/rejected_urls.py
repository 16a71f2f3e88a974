"""The admins' log of rejected mail, under /settings/rejected/ (inbox data, settings navigation)."""

from django.urls import path

from inbox import rejected_views

app_name = "rejected"

urlpatterns = [
    path("", rejected_views.rejected_list, name="list"),
]
