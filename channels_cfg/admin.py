from django.contrib import admin

from channels_cfg.models import (
    EmailChannel,
    ForwardingAddress,
    ForwardingConfirmation,
    FromAddressVerification,
    SendingDomain,
)


class ForwardingAddressInline(admin.StackedInline):
    model = ForwardingAddress
    extra = 0


@admin.register(EmailChannel)
class EmailChannelAdmin(admin.ModelAdmin):
    list_display = ["__str__", "workspace", "status", "company_name", "last_inbound_at"]
    list_filter = ["status", "workspace"]
    search_fields = ["name", "company_name", "forwarding_address__address"]
    filter_horizontal = ["assign_users", "assign_teams"]
    inlines = [ForwardingAddressInline]


@admin.register(ForwardingAddress)
class ForwardingAddressAdmin(admin.ModelAdmin):
    list_display = ["address", "channel", "locked_at"]
    search_fields = ["address"]


@admin.register(FromAddressVerification)
class FromAddressVerificationAdmin(admin.ModelAdmin):
    list_display = ["address", "channel", "sent_at", "verified_at", "expires_at"]
    exclude = ["token_hash"]


@admin.register(SendingDomain)
class SendingDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "workspace", "verified", "last_checked_at"]
    list_filter = ["verified"]
    # The private key is never shown (it is encrypted anyway); the rest is made and checked by
    # Settings > Sending domains, not typed here.
    exclude = ["dkim_private_key"]
    readonly_fields = [
        "dkim_selector", "dkim_public_key", "verified_at", "last_checked_at", "last_check_result",
    ]  # fmt: skip


@admin.register(ForwardingConfirmation)
class ForwardingConfirmationAdmin(admin.ModelAdmin):
    list_display = ["channel", "provider", "requested_by", "code", "received_at"]
    list_filter = ["provider"]
