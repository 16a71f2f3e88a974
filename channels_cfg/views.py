"""Channel settings and the connect wizard: thin adapters over forms, selectors and services.

A page renders its whole template; an htmx request gets the template's `step` partial. After a
successful POST the browser goes to the next URL (a redirect, or HX-Location for htmx), so every
step is a URL and its state lives on the draft channel in the database.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseLocation

from channels_cfg import selectors, wizard_services
from channels_cfg.forms import AssignmentForm, ForwardingAddressForm, FromSettingsForm, ProviderForm
from channels_cfg.models import EmailChannel
from channels_cfg.providers import PROVIDERS, provider_get
from channels_cfg.signature import TOKENS, render_signature, sanitize_signature, token_marker
from helpdesk.tenancy import admin_required, get_scoped_or_404

STEPS = (
    ("from", "From name and signature"),
    ("assignment", "Assignment and tickets"),
    ("address", "Forwarding address"),
    ("provider", "Forward from your provider"),
)


def _channel(request: HttpRequest, pk: int) -> EmailChannel:
    return get_scoped_or_404(
        EmailChannel.objects.select_related("workspace", "forwarding_address"),
        request.workspace,  # type: ignore[attr-defined]
        pk=pk,
    )


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    htmx = request.htmx  # type: ignore[attr-defined]
    if htmx and not htmx.history_restore_request:
        template += "#step"
    return render(request, template, context)


def _go(request: HttpRequest, url: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseLocation(url, target="#wizard", swap="outerHTML")
    return redirect(url)


def _step_url(channel: EmailChannel, step: str) -> str:
    if channel.status == EmailChannel.Status.DRAFT:
        return reverse(f"channels_cfg:connect_{step}", args=[channel.pk])
    return reverse(
        "channels_cfg:edit" if step == "from" else "channels_cfg:edit_assignment", args=[channel.pk]
    )


def _wizard_context(channel: EmailChannel, step: str) -> dict[str, Any]:
    editing = channel.status != EmailChannel.Status.DRAFT
    shown = STEPS[:2] if editing else STEPS
    return {
        "channel": channel,
        "step": step,
        "steps": [(name, label, _step_url(channel, name)) for name, label in shown],
        "editing": editing,
    }


# --- Connect entry ---------------------------------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def connect_start(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    if request.method == "POST":
        channel = wizard_services.channel_draft_start(
            workspace=workspace,
            created_by=request.user,  # type: ignore[arg-type]
        )
        return redirect("channels_cfg:connect_from", channel.pk)
    drafts = selectors.channel_list_drafts(workspace)
    return render(request, "channels_cfg/connect_start.html", {"drafts": drafts})


# --- Step 1: from name, from address, signature ----------------------------------------------


def _preview_context(
    request: HttpRequest, channel: EmailChannel, data: dict[str, str]
) -> dict[str, Any]:
    agent = request.agent  # type: ignore[attr-defined]
    preview = EmailChannel(
        workspace=channel.workspace,
        from_name_mode=data.get("from_name_mode") or channel.from_name_mode,
        company_name=data.get("company_name", channel.company_name).strip(),
        from_address_mode=data.get("from_address_mode") or channel.from_address_mode,
        custom_from_address=data.get("custom_from_address", channel.custom_from_address).strip(),
        default_from_username=channel.default_from_username,
    )
    signature = sanitize_signature(data.get("signature_html", channel.signature_html))
    return {
        "preview_from_name": preview.from_name_for(agent.full_name),
        "preview_from_address": preview.from_address,
        "preview_signature": render_signature(
            signature, full_name=agent.full_name, first_name=agent.first_name
        ),
    }


def _from_step(request: HttpRequest, channel: EmailChannel) -> HttpResponse:
    now = timezone.now()
    dialog = request.GET.get("dialog", "")
    notice = ""
    form = FromSettingsForm(initial=_from_initial(channel), channel=channel)
    if request.method == "POST":
        form = FromSettingsForm(request.POST, channel=channel)
        action = request.POST.get("action", "next")
        if form.is_valid():
            data = dict(form.cleaned_data)
            team_address = data.pop("team_address")
            try:
                wizard_services.channel_from_settings_update(channel=channel, **data)
            except wizard_services.FromNameTaken as error:
                form.add_error("company_name", error.message)
            else:
                if channel.status != EmailChannel.Status.DRAFT:
                    wizard_services.channel_team_address_update(
                        channel=channel, team_address=team_address
                    )
        if not form.errors:
            if action == "next":
                return _after_save(request, channel, next_step="assignment")
            if action == "send_verification":
                try:
                    verification = wizard_services.from_address_verification_send(
                        channel=channel, now=now
                    )
                    notice = f"Verification message sent to {verification.address}."
                except wizard_services.WizardError as error:
                    form.add_error("custom_from_address", error.message)
            elif action == "open_verify":
                dialog = "verify"
            else:
                notice = "Saved."
        if not form.errors:
            form = FromSettingsForm(initial=_from_initial(channel), channel=channel)
    data = {key: str(value) for key, value in (form.data or form.initial).items()}
    context = _wizard_context(channel, "from")
    context.update(_preview_context(request, channel, data))
    context.update(
        form=form,
        notice=notice,
        dialog=dialog,
        tokens=[(token_marker(name), label) for name, label in TOKENS.items()],
        from_address_verified=selectors.is_from_address_verified(channel),
        # Once the saved custom address is verified there is nothing to verify (until it changes).
        show_verify_button=not (
            channel.from_address_mode == EmailChannel.FromAddressMode.CUSTOM
            and selectors.is_from_address_verified(channel)
        ),
        verification_pending=selectors.verification_pending_get(channel=channel, now=now),
        domain_verified=selectors.is_sending_domain_verified(
            workspace=channel.workspace, address=channel.custom_from_address
        ),
    )
    return _render(request, "channels_cfg/step_from.html", context)


def _after_save(request: HttpRequest, channel: EmailChannel, *, next_step: str) -> HttpResponse:
    if channel.status == EmailChannel.Status.DRAFT:
        return _go(request, _step_url(channel, next_step))
    messages.success(request, "Channel settings saved.")
    return _go(request, reverse("channels_cfg:channel_list"))


def _from_initial(channel: EmailChannel) -> dict[str, Any]:
    return {
        "from_name_mode": channel.from_name_mode,
        "company_name": channel.company_name,
        "from_address_mode": channel.from_address_mode,
        "custom_from_address": channel.custom_from_address,
        "signature_html": channel.signature_html,
        "team_address": channel.team_address,
    }


@admin_required
@require_POST
def from_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The live preview of the mail as the contact will see it, from unsaved form input."""
    channel = _channel(request, pk)
    context = _preview_context(request, channel, request.POST.dict())
    return render(request, "channels_cfg/step_from.html#preview", context)


# --- Step 2: assignment and tickets ----------------------------------------------------------


def _assignment_step(request: HttpRequest, channel: EmailChannel) -> HttpResponse:
    dialog = request.GET.get("dialog", "")
    notice = ""
    form = AssignmentForm(initial=_assignment_initial(channel), channel=channel)
    if request.method == "POST":
        form = AssignmentForm(request.POST, channel=channel)
        action = request.POST.get("action", "next")
        if form.is_valid():
            data = form.cleaned_data
            wizard_services.channel_assignment_update(
                channel=channel,
                auto_assign=data["auto_assign"],
                assign_mode=data["assign_mode"],
                users=data["assign_users"],
                teams=data["assign_teams"],
                create_tickets=data["create_tickets"],
                ticket_pipeline=data["ticket_pipeline"],
                ticket_status=data["ticket_status"],
                ticket_priority=data["ticket_priority"],
                ticket_category=data["ticket_category"],
            )
            if action == "next":
                return _after_save(request, channel, next_step="address")
            if action == "back":
                return _go(request, _step_url(channel, "from"))
            if action == "open_ticket":
                dialog = "ticket"
            else:
                notice = "Ticket properties saved." if action == "save_ticket" else "Saved."
            form = AssignmentForm(initial=_assignment_initial(channel), channel=channel)
    context = _wizard_context(channel, "assignment")
    context.update(form=form, notice=notice, dialog=dialog)
    return _render(request, "channels_cfg/step_assignment.html", context)


def _assignment_initial(channel: EmailChannel) -> dict[str, Any]:
    return {
        "auto_assign": channel.auto_assign,
        "assign_mode": channel.assign_mode,
        "assign_users": list(channel.assign_users.all()),
        "assign_teams": list(channel.assign_teams.all()),
        "create_tickets": channel.create_tickets,
        "ticket_pipeline": channel.ticket_pipeline,
        "ticket_status": channel.ticket_status,
        "ticket_priority": channel.ticket_priority,
        "ticket_category": channel.ticket_category,
    }


# --- The draft's steps and the connected channel's edit pages ---------------------------------


def _draft_or_edit(request: HttpRequest, pk: int, step: str) -> EmailChannel | HttpResponse:
    channel = _channel(request, pk)
    if channel.status != EmailChannel.Status.DRAFT:
        return redirect(_step_url(channel, step))
    return channel


@admin_required
@require_http_methods(["GET", "POST"])
def connect_from(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _draft_or_edit(request, pk, "from")
    return channel if isinstance(channel, HttpResponse) else _from_step(request, channel)


@admin_required
@require_http_methods(["GET", "POST"])
def connect_assignment(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _draft_or_edit(request, pk, "assignment")
    return channel if isinstance(channel, HttpResponse) else _assignment_step(request, channel)


@admin_required
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    if channel.status == EmailChannel.Status.DRAFT:
        return redirect("channels_cfg:connect_from", channel.pk)
    return _from_step(request, channel)


@admin_required
@require_http_methods(["GET", "POST"])
def channel_edit_assignment(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    if channel.status == EmailChannel.Status.DRAFT:
        return redirect("channels_cfg:connect_assignment", channel.pk)
    return _assignment_step(request, channel)


# --- Step 3: forwarding address --------------------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def connect_address(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    if channel.status != EmailChannel.Status.DRAFT:
        return redirect("channels_cfg:channel_list")
    forwarding = channel.forwarding_address
    local_part = forwarding.address.partition("@")[0]
    notice = ""
    dialog = request.GET.get("dialog", "")
    form = ForwardingAddressForm(initial={"local_part": local_part}, channel=channel)
    if request.method == "POST" and request.POST.get("action") == "customize":
        form = ForwardingAddressForm(request.POST, channel=channel)
        if form.is_valid():
            try:
                forwarding = wizard_services.forwarding_address_customize(
                    channel=channel, local_part=form.cleaned_data["local_part"]
                )
                notice = f"Your forwarding address is now {forwarding.address}."
                form = ForwardingAddressForm(
                    initial={"local_part": form.cleaned_data["local_part"]}, channel=channel
                )
            except wizard_services.ForwardingAddressRefused as error:
                form.add_error("local_part", error.message)
        if form.errors:
            dialog = "customize"
    elif request.method == "POST":
        return _go(request, _step_url(channel, "provider"))
    context = _wizard_context(channel, "address")
    context.update(form=form, forwarding=forwarding, notice=notice, dialog=dialog)
    return _render(request, "channels_cfg/step_address.html", context)


# --- Step 4: provider instructions, confirmation, Connect & finish ----------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def connect_provider(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    if channel.status != EmailChannel.Status.DRAFT:
        return redirect("channels_cfg:channel_list")
    if request.method == "POST":
        form = ProviderForm(request.POST)
        if form.is_valid():
            wizard_services.channel_provider_update(channel=channel, **form.cleaned_data)
    else:
        form = ProviderForm(
            initial={"provider": channel.provider or "gmail", "team_address": channel.team_address}
        )
    return _render(request, "channels_cfg/step_provider.html", _provider_context(channel, form))


def _provider_context(
    channel: EmailChannel, form: ProviderForm, problems: list[str] | None = None
) -> dict[str, Any]:
    provider = provider_get(channel.provider or "gmail") or PROVIDERS[0]
    context = _wizard_context(channel, "provider")
    context.update(
        form=form,
        provider=provider,
        provider_steps=provider.steps_for(
            address=channel.forwarding_address.address, team_address=channel.team_address
        ),
        confirmation=selectors.confirmation_latest_get(channel),
        problems=problems if problems is not None else [],
    )
    return context


@admin_required
@require_GET
def connect_confirmation(request: HttpRequest, pk: int) -> HttpResponse:
    """The small fragment the provider step polls until a forwarding confirmation arrives."""
    channel = _channel(request, pk)
    return render(
        request,
        "channels_cfg/step_provider.html#confirmation",
        {"channel": channel, "confirmation": selectors.confirmation_latest_get(channel)},
    )


@admin_required
@require_POST
def connect_finish(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    try:
        wizard_services.channel_connect(channel=channel, now=timezone.now())
    except wizard_services.ChannelNotReady as error:
        form = ProviderForm(
            initial={"provider": channel.provider or "gmail", "team_address": channel.team_address}
        )
        context = _provider_context(channel, form, problems=error.problems)
        response = _render(request, "channels_cfg/step_provider.html", context)
        response.status_code = 422 if not request.htmx else 200  # type: ignore[attr-defined]
        return response
    messages.success(
        request, f"{channel.company_name} is connected. Mail forwarded to it arrives in the inbox."
    )
    url = reverse("channels_cfg:channel_list")
    if request.htmx:  # type: ignore[attr-defined]
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# --- From address verification link (opened from the mail, maybe in another browser) ----------


@login_not_required
@require_http_methods(["GET", "POST"])
def verify_from_address(request: HttpRequest, token: str) -> HttpResponse:
    # GET only shows a button: mail scanners that prefetch links must not use up the link.
    if request.method == "GET":
        return render(request, "channels_cfg/verify_from_address.html", {"state": "confirm"})
    try:
        verification = wizard_services.from_address_verify(signed_token=token, now=timezone.now())
    except wizard_services.VerificationLinkInvalid as error:
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
