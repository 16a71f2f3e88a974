"""Verifying a custom from address: step 1's Verify address and Send verification message
buttons, and the link the mail carries (opened maybe in another browser, signed in or not)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from channels_cfg.services import verification as verification_services
from channels_cfg.views.wizard import (
    from_step_page,
    from_step_save,
    refusal_shown_on,
    step_channel,
)
from helpdesk.refusals import Refused
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import admin_required


@admin_required
@require_POST
def from_verify(request: AgentRequest, pk: int, editing: bool = False) -> HttpResponse:
    """Verify address without JavaScript: saves step 1, then shows the verify dialog open."""
    channel = step_channel(request, pk, "from", editing=editing)
    if isinstance(channel, HttpResponse):
        return channel
    form = from_step_save(request, channel)
    dialog = "" if form.errors else "verify"
    return from_step_page(request, channel, form=form, dialog=dialog)


@admin_required
@require_POST
def from_send_verification(request: AgentRequest, pk: int, editing: bool = False) -> HttpResponse:
    """Send verification message: saves step 1, then mails the link to the custom from address
    (or says, next to the address, why not)."""
    channel = step_channel(request, pk, "from", editing=editing)
    if isinstance(channel, HttpResponse):
        return channel
    form = from_step_save(request, channel)
    notice = ""
    if not form.errors:
        with refusal_shown_on(form):
            verification = verification_services.from_address_verification_send(
                channel=channel, now=timezone.now()
            )
            notice = f"Verification message sent to {verification.address}."
    return from_step_page(request, channel, form=form, notice=notice)


@login_not_required
@require_http_methods(["GET", "POST"])
def verify_from_address(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the verification mail."""
    # GET only shows a button: mail scanners that prefetch links must not use up the link.
    if request.method == "GET":
        return render(request, "channels_cfg/verify_from_address.html", {"state": "confirm"})
    try:
        verification = verification_services.from_address_verify(
            signed_token=token, now=timezone.now()
        )
    except Refused as error:
        return render(
            request,
            "channels_cfg/verify_from_address.html",
            {"state": "invalid", "error": error.message},
            status=400,
        )
    return render(
        request,
        "channels_cfg/verify_from_address.html",
        {"state": "verified", "address": verification.address},
    )
