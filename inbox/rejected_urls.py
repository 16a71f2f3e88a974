"""The admins' log of rejected mail, under /settings/rejected/ (inbox data, settings navigation)."""

from django.urls import path

from inbox import rejected_views

app_name = "rejected"

urlpatterns = [
    path("", rejected_views.rejected_list, name="list"),
    path("<int:pk>/process/", rejected_views.rejected_process_anyway, name="process"),
    path("<int:pk>/block/", rejected_views.rejected_block_sender, name="block"),
]
