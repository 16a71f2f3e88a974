"""The channel list and a channel's actions: disconnect, reconnect, Send test email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from channels_cfg import selectors
from channels_cfg.models import EmailChannel, ForwardingConfirmation
from channels_cfg.services import channels as channel_services
from helpdesk.refusals import Refused, refusal_response
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import admin_required, get_scoped_or_404


def get_channel_or_404(request: AgentRequest, pk: int) -> EmailChannel:
    """The channel `pk` of the asking agent's workspace (404 for any other)."""
    return get_scoped_or_404(
        EmailChannel.objects.select_related("workspace", "forwarding_address"),
        request.workspace,
        pk=pk,
    )


# --- The channel list ------------------------------------------------------------------------


@admin_required
def settings_index(request: AgentRequest) -> HttpResponse:
    return redirect("channels_cfg:channel_list")


@dataclass(frozen=True)
class ChannelRow:
    """A line of the channel list: the channel and what the list says about its health."""

    channel: EmailChannel
    test_email_state: str
    pending_confirmation: ForwardingConfirmation | None
    quiet_since: datetime | None
    from_line: str


def _row(channel: EmailChannel, *, agent_name: str, now: datetime) -> ChannelRow:
    return ChannelRow(
        channel=channel,
        test_email_state=selectors.channel_test_email_state(channel, now=now),
        pending_confirmation=selectors.confirmation_pending_get(channel),
        quiet_since=selectors.channel_quiet_since(channel, now=now),
        from_line=f"{channel.from_name_for(agent_name)} <{channel.from_address}>",
    )


@admin_required
@require_GET
def channel_list(request: AgentRequest) -> HttpResponse:
    now = timezone.now()
    rows = [
        _row(channel, agent_name=request.agent.full_name, now=now)
        for channel in selectors.channel_list_for_settings(request.workspace)
    ]
    confirm = request.GET.get("disconnect", "")
    return render(
        request,
        "channels_cfg/channel_list.html",
        {"rows": rows, "confirm_disconnect": int(confirm) if confirm.isdigit() else None},
    )


# --- Channel actions --------------------------------------------------------------------------


@admin_required
@require_POST
def channel_disconnect(request: AgentRequest, pk: int) -> HttpResponse:
    channel = channel_services.channel_disconnect(channel=get_channel_or_404(request, pk))
    messages.success(request, f"{channel.name} is disconnected: mail to it is no longer accepted.")
    return redirect("channels_cfg:channel_list")


@admin_required
@require_POST
def channel_reconnect(request: AgentRequest, pk: int) -> HttpResponse:
    channel = channel_services.channel_reconnect(
        channel=get_channel_or_404(request, pk), now=timezone.now()
    )
    messages.success(request, f"{channel.name} is connected again.")
    return redirect("channels_cfg:channel_list")


@admin_required
@require_POST
def channel_test_email(request: AgentRequest, pk: int) -> HttpResponse:
    channel = get_channel_or_404(request, pk)
    try:
        channel_services.channel_send_test_email(
            channel=channel, sender_full_name=request.agent.full_name, now=timezone.now()
        )
    except Refused as error:
        return refusal_response(request, error, redirect_to=reverse("channels_cfg:channel_list"))
    messages.success(
        request,
        f"Test email sent to {channel_services.channel_test_email_recipient(channel)}. "
        "This page shows when it comes back through forwarding.",
    )
    return redirect("channels_cfg:channel_list")


@admin_required
@require_GET
def channel_test_email_status(request: AgentRequest, pk: int) -> HttpResponse:
    """The fragment the channel list polls while a test email is on its way."""
    channel = get_channel_or_404(request, pk)
    context = {
        "channel": channel,
        "test_email_state": selectors.channel_test_email_state(channel, now=timezone.now()),
    }
    return render(request, "channels_cfg/channel_list.html#test-status", context)
