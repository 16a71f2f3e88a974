"""Every URL of the inbox's pages, in groups that helpdesk.urls mounts under their prefixes:
the agents' inbox (/inbox/, names inbox:*), the admin settings pages for rejected mail and
blocked senders (/settings/rejected/, /settings/blocked/) and the image proxy (/image-proxy/).
The ESP webhooks are inbox.webhooks.urls."""

from __future__ import annotations

from django.urls import path

from inbox.views import (
    attachments,
    auto_close,
    blocked,
    bulk,
    compose,
    image_proxy,
    merge,
    notes,
    notifications,
    presence,
    rejected,
    saved_replies,
    snooze,
    tags,
    threads,
)

inbox_patterns = [
    path("", threads.inbox_index, name="index"),
    path("poll/", threads.inbox_poll, name="poll"),
    path("availability/", threads.availability, name="availability"),
    path("threads/<int:pk>/", threads.thread_detail, name="thread"),
    path("threads/<int:pk>/poll/", threads.thread_poll, name="thread_poll"),
    path("threads/<int:pk>/messages/<int:message_pk>/", threads.message_fragment, name="message"),
    path("threads/<int:pk>/assign/", threads.thread_assign, name="assign"),
    path("threads/<int:pk>/status/", threads.thread_status, name="status"),
    path("threads/<int:pk>/snooze/", snooze.thread_snooze, name="snooze"),
    path("threads/<int:pk>/unsnooze/", snooze.thread_unsnooze, name="unsnooze"),
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
    path("threads/<int:pk>/merge/", merge.merge_pick, name="merge_pick"),
    path("threads/<int:pk>/merge/<int:other_pk>/", merge.merge_confirm, name="merge_confirm"),
    path(
        "threads/<int:pk>/messages/<int:message_pk>/split/",
        merge.split_confirm,
        name="split_confirm",
    ),
    path("threads/<int:pk>/events/<int:event_pk>/undo/", merge.undo_confirm, name="merge_undo"),
    path("new/", compose.new_email, name="new_email"),
    path(
        "threads/<int:pk>/messages/<int:message_pk>/forward/",
        compose.message_forward,
        name="forward",
    ),
    path("messages/<int:pk>/undo/", compose.reply_undo, name="undo_send"),
    path("sending-settings/", compose.undo_send_settings, name="sending_settings"),
    path("auto-close-settings/", auto_close.auto_close_settings, name="auto_close_settings"),
    path("threads/<int:pk>/notes/", notes.note_create, name="note_create"),
    path("notes/<int:pk>/", notes.note_detail, name="note"),
    path("notes/<int:pk>/edit/", notes.note_edit, name="note_edit"),
    path("notes/<int:pk>/delete/", notes.note_delete, name="note_delete"),
    path(
        "notes/<int:pk>/attachments/<int:attachment_pk>/",
        notes.note_attachment,
        name="note_attachment",
    ),
    path("mentions/", notes.mention_suggestions, name="mentions"),
    path("saved-replies/", saved_replies.saved_reply_list, name="saved_replies"),
    path("saved-replies/new/", saved_replies.saved_reply_create, name="saved_reply_create"),
    path("saved-replies/<int:pk>/", saved_replies.saved_reply_edit, name="saved_reply_edit"),
    path(
        "saved-replies/<int:pk>/delete/",
        saved_replies.saved_reply_delete,
        name="saved_reply_delete",
    ),
    path(
        "threads/<int:pk>/saved-replies/",
        saved_replies.saved_reply_picker,
        name="saved_reply_picker",
    ),
    path(
        "threads/<int:pk>/saved-replies/<int:reply_pk>/insert/",
        saved_replies.saved_reply_insert,
        name="saved_reply_insert",
    ),
    path("messages/<int:pk>/retry/", threads.message_retry, name="retry"),
    path("attachments/<int:pk>/", attachments.attachment_download, name="attachment"),
    path("threads/<int:pk>/presence/", presence.presence_heartbeat, name="presence"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/poll/", notifications.bell_poll, name="bell_poll"),
    path(
        "notifications/read-all/", notifications.notification_read_all, name="notification_read_all"
    ),
    path(
        "notifications/settings/", notifications.notification_settings, name="notification_settings"
    ),
    path("notifications/<int:pk>/", notifications.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification_read"),
    path("threads/<int:pk>/tags/", tags.thread_tag_add, name="tag_add"),
    path("threads/<int:pk>/tags/remove/", tags.thread_tag_remove, name="tag_remove"),
    path("threads/<int:pk>/tags/suggest/", tags.thread_tag_suggest, name="tag_suggest"),
    path("bulk/", bulk.bulk_apply, name="bulk"),
    path("bulk/<int:pk>/undo/", bulk.bulk_undo, name="bulk_undo"),
]

# The admins' tag settings, under /settings/tags/.
tags_patterns = [
    path("", tags.tag_settings, name="settings"),
    path("new/", tags.tag_settings_create, name="create"),
    path("<int:pk>/", tags.tag_settings_update, name="update"),
    path("<int:pk>/merge/", tags.tag_settings_merge, name="merge"),
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
