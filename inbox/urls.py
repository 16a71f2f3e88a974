from django.urls import path

from inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox_index, name="index"),
    path("threads/<int:pk>/", views.thread_detail, name="thread"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
