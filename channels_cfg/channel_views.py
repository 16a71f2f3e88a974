"""Channel settings: the list of connected channels and their actions (disconnect, reconnect,
Send test email). The wizard's steps and the edit pages are in views.py."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from channels_cfg import selectors, wizard_services
from channels_cfg.models import EmailChannel
from helpdesk.tenancy import admin_required, get_scoped_or_404


def _channel(request: HttpRequest, pk: int) -> EmailChannel:
    return get_scoped_or_404(
        EmailChannel.objects.select_related("workspace", "forwarding_address"),
        request.workspace,  # type: ignore[attr-defined]
        pk=pk,
    )


# --- The channel list ------------------------------------------------------------------------


@admin_required
def settings_index(request: HttpRequest) -> HttpResponse:
    return redirect("channels_cfg:channel_list")


@admin_required
@require_GET
def channel_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    channels = list(selectors.channel_list_for_settings(workspace))
    agent_name = request.agent.full_name  # type: ignore[attr-defined]
    now = timezone.now()
    for channel in channels:
        channel.test_email_state = selectors.channel_test_email_state(channel, now=now)  # type: ignore[attr-defined]
        channel.pending_confirmation = selectors.confirmation_pending_get(channel)  # type: ignore[attr-defined]
        channel.quiet_since = selectors.channel_quiet_since(channel, now=now)  # type: ignore[attr-defined]
        channel.from_line = f"{channel.from_name_for(agent_name)} <{channel.from_address}>"  # type: ignore[attr-defined]
    confirm = request.GET.get("disconnect", "")
    return render(
        request,
        "channels_cfg/channel_list.html",
        {"channels": channels, "confirm_disconnect": int(confirm) if confirm.isdigit() else None},
    )


# --- Channel actions --------------------------------------------------------------------------


@admin_required
@require_POST
def channel_disconnect(request: HttpRequest, pk: int) -> HttpResponse:
    channel = wizard_services.channel_disconnect(channel=_channel(request, pk))
    messages.success(request, f"{channel.name} is disconnected: mail to it is no longer accepted.")
    return redirect("channels_cfg:channel_list")


@admin_required
@require_POST
def channel_reconnect(request: HttpRequest, pk: int) -> HttpResponse:
    channel = wizard_services.channel_reconnect(channel=_channel(request, pk), now=timezone.now())
    messages.success(request, f"{channel.name} is connected again.")
    return redirect("channels_cfg:channel_list")


@admin_required
@require_POST
def channel_test_email(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    try:
        wizard_services.channel_send_test_email(
            channel=channel,
            sender_full_name=request.agent.full_name,  # type: ignore[attr-defined]
            now=timezone.now(),
        )
    except wizard_services.WizardError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Test email sent to {wizard_services.channel_test_email_recipient(channel)}. "
            "This page shows when it comes back through forwarding.",
        )
    return redirect("channels_cfg:channel_list")


@admin_required
@require_GET
def channel_test_email_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The fragment the channel list polls while a test email is on its way."""
    channel = _channel(request, pk)
    channel.test_email_state = selectors.channel_test_email_state(channel, now=timezone.now())  # type: ignore[attr-defined]
    return render(request, "channels_cfg/channel_list.html#test-status", {"channel": channel})
