from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from channels_cfg.models import EmailChannel
from helpdesk.tenancy import admin_required, scoped


@admin_required
def settings_index(request: HttpRequest) -> HttpResponse:
    return redirect("channels_cfg:channel_list")


@admin_required
def channel_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    channels = (
        scoped(EmailChannel, workspace)
        .exclude(status=EmailChannel.Status.DRAFT)
        .select_related("forwarding_address")
        .order_by("name", "id")
    )
    return render(request, "channels_cfg/channel_list.html", {"channels": channels})
