from django.urls import path

from inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox_index, name="index"),
    path("poll/", views.inbox_poll, name="poll"),
    path("availability/", views.availability, name="availability"),
    path("threads/<int:pk>/", views.thread_detail, name="thread"),
    path("threads/<int:pk>/poll/", views.thread_poll, name="thread_poll"),
    path("threads/<int:pk>/messages/<int:message_pk>/", views.message_fragment, name="message"),
    path("threads/<int:pk>/assign/", views.thread_assign, name="assign"),
    path("threads/<int:pk>/status/", views.thread_status, name="status"),
    path("threads/<int:pk>/spam/", views.thread_spam, name="spam"),
    path("threads/<int:pk>/not-spam/", views.thread_not_spam, name="not_spam"),
    path("threads/<int:pk>/block/", views.thread_block_sender, name="block"),
    path("threads/<int:pk>/contact/", views.thread_change_contact, name="change_contact"),
    path(
        "threads/<int:pk>/contacts/<int:contact_pk>/owner/",
        views.contact_owner,
        name="contact_owner",
    ),
    path("threads/<int:pk>/ticket/", views.ticket_edit, name="ticket"),
    path("threads/<int:pk>/reply/", views.thread_reply, name="reply"),
    path("messages/<int:pk>/retry/", views.message_retry, name="retry"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
