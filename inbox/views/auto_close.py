"""The admins' "Auto-close" settings page: close conversations left waiting on the contact."""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from helpdesk.refusals import Refused
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import admin_required
from inbox.services import ticket_status


class AutoCloseForm(forms.Form):
    days = forms.IntegerField(
        label="Close conversations waiting on the contact after (days)",
        required=False,
        min_value=1,
        max_value=ticket_status.MAX_AUTO_CLOSE_DAYS,
        help_text="Leave empty to never close them automatically.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


@admin_required
@require_http_methods(["GET", "POST"])
def auto_close_settings(request: AgentRequest) -> HttpResponse:
    workspace = request.workspace
    form = AutoCloseForm(request.POST or None, initial={"days": workspace.auto_close_waiting_days})
    if request.method == "POST" and form.is_valid():
        try:
            ticket_status.workspace_set_auto_close(
                workspace=workspace, days=form.cleaned_data["days"]
            )
        except Refused as error:
            form.add_error("days", str(error))
        else:
            days = workspace.auto_close_waiting_days
            flash.success(
                request,
                f"Saved: conversations waiting on the contact for {days} days are closed."
                if days
                else "Saved: conversations are never closed automatically.",
            )
            return redirect("inbox:auto_close_settings")
    return render(request, "inbox/auto_close_settings.html", {"form": form})
