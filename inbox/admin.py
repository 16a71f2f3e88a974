from django.contrib import admin

from inbox.models import (
    Attachment,
    BlockedSender,
    Contact,
    InboundEmail,
    Message,
    Thread,
    ThreadReadState,
    Ticket,
)


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = ["id", "esp", "envelope_recipient", "status", "reason_code", "received_at"]
    list_filter = ["status", "esp", "reason_code"]
    search_fields = ["envelope_recipient", "esp_event_id", "sha256", "subject", "from_header"]
    exclude = ["raw"]
    readonly_fields = ["size", "sha256", "idempotency_key", "received_at"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "workspace", "owner"]
    search_fields = ["email", "name"]
    list_filter = ["workspace"]


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("direction", "from_email", "subject", "created_at", "delivery_status")
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "workspace", "contact", "status", "kind", "assignee"]
    list_filter = ["status", "kind", "workspace"]
    search_fields = ["subject", "contact__email"]
    raw_id_fields = ["contact", "assignee", "channel"]
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "thread", "direction", "from_email", "subject", "created_at"]
    list_filter = ["direction", "delivery_status", "is_auto_reply", "is_bounce"]
    search_fields = ["message_id", "from_email", "subject"]
    raw_id_fields = ["thread", "inbound", "bounce_of", "sent_by", "workspace"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["filename", "content_type", "size", "is_inline", "message"]
    raw_id_fields = ["message"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "priority", "category", "owner"]
    list_filter = ["status", "priority", "pipeline"]
    raw_id_fields = ["thread"]


@admin.register(BlockedSender)
class BlockedSenderAdmin(admin.ModelAdmin):
    list_display = ["value", "workspace", "created_at"]
    list_filter = ["workspace"]


@admin.register(ThreadReadState)
class ThreadReadStateAdmin(admin.ModelAdmin):
    list_display = ["thread", "user", "last_read_at"]
    raw_id_fields = ["thread", "user"]
