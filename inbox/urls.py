"""Every URL of the inbox's pages, in groups that helpdesk.urls mounts under their prefixes:
the agents' inbox (/inbox/, names inbox:*), the admin settings pages for rejected mail and
blocked senders (/settings/rejected/, /settings/blocked/) and the image proxy (/image-proxy/).
The ESP webhooks are inbox.webhooks.urls."""

from __future__ import annotations

from django.urls import path

from inbox.views import attachments, blocked, image_proxy, rejected, threads

inbox_patterns = [
    path("", threads.inbox_index, name="index"),
    path("poll/", threads.inbox_poll, name="poll"),
    path("availability/", threads.availability, name="availability"),
    path("threads/<int:pk>/", threads.thread_detail, name="thread"),
    path("threads/<int:pk>/poll/", threads.thread_poll, name="thread_poll"),
    path("threads/<int:pk>/messages/<int:message_pk>/", threads.message_fragment, name="message"),
    path("threads/<int:pk>/assign/", threads.thread_assign, name="assign"),
    path("threads/<int:pk>/status/", threads.thread_status, name="status"),
    path("threads/<int:pk>/spam/", threads.thread_spam, name="spam"),
    path("threads/<int:pk>/not-spam/", threads.thread_not_spam, name="not_spam"),
    path("threads/<int:pk>/block/", threads.thread_block_sender, name="block"),
    path("threads/<int:pk>/contact/", threads.thread_change_contact, name="change_contact"),
    path(
        "threads/<int:pk>/contacts/<int:contact_pk>/owner/",
        threads.contact_owner,
        name="contact_owner",
    ),
    path("threads/<int:pk>/ticket/", threads.ticket_edit, name="ticket"),
    path("threads/<int:pk>/reply/", threads.thread_reply, name="reply"),
    path("messages/<int:pk>/retry/", threads.message_retry, name="retry"),
    path("attachments/<int:pk>/", attachments.attachment_download, name="attachment"),
]

rejected_patterns = [
    path("", rejected.rejected_list, name="list"),
    path("<int:pk>/process/", rejected.rejected_process_anyway, name="process"),
    path("<int:pk>/block/", rejected.rejected_block_sender, name="block"),
]

blocked_patterns = [
    path("", blocked.blocked_list, name="list"),
    path("<int:pk>/unblock/", blocked.blocked_unblock, name="unblock"),
]

# Not namespaced: the rendered mail links to it by the plain name "image_proxy".
image_proxy_patterns = [
    path("", image_proxy.image_proxy, name="image_proxy"),
]
