"""The connect wizard, and the edit pages of a connected channel (its first two steps).

Every step and every action on it is a URL: a step's page shows it (a GET) and saves it then
goes on (a POST); its other buttons post to their own URLs (`formaction`), save the step too,
and re-render it. A page renders its whole template; an htmx request gets the template's `step`
partial. After a step is saved the browser goes to the next URL (a redirect, or HX-Location for
htmx), and the step's state lives on the channel in the database. A draft's steps live under
`connect/<pk>/`, a connected channel's under `<pk>/edit/`: the URL conf passes `editing`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseLocation

from channels_cfg import selectors
from channels_cfg.forms import AssignmentForm, ForwardingAddressForm, FromSettingsForm, ProviderForm
from channels_cfg.models import EmailChannel
from channels_cfg.providers import PROVIDERS, provider_get
from channels_cfg.services import channels as channel_services
from channels_cfg.services import wizard as wizard_services
from channels_cfg.signature import TOKENS, render_signature, sanitize_signature, token_marker
from channels_cfg.views.channels import get_channel_or_404
from helpdesk.refusals import Refused, refusal_response
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import admin_required

STEPS = (
    ("from", "From name and signature"),
    ("assignment", "Assignment and tickets"),
    ("address", "Forwarding address"),
    ("provider", "Forward from your provider"),
)


def _render(request: AgentRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    if request.htmx and not request.htmx.history_restore_request:
        template += "#step"
    return render(request, template, context)


def _go(request: AgentRequest, url: str) -> HttpResponse:
    if request.htmx:
        return HttpResponseLocation(url, target="#wizard", swap="outerHTML")
    return redirect(url)


def step_url(channel: EmailChannel, step: str, action: str = "") -> str:
    """The URL of a step, or of one of its actions, for the channel as it is now."""
    if channel.status == EmailChannel.Status.DRAFT:
        name = f"connect_{step}"
    else:
        name = "edit" if step == "from" else f"edit_{step}"
    return reverse(
        f"channels_cfg:{name}_{action}" if action else f"channels_cfg:{name}", args=[channel.pk]
    )


def step_channel(
    request: AgentRequest, pk: int, step: str, *, editing: bool
) -> EmailChannel | HttpResponse:
    """The channel of a step's URL, or a redirect to that step's page where the channel's status
    puts it (a draft connected in another tab is edited from then on)."""
    channel = get_channel_or_404(request, pk)
    if editing == (channel.status == EmailChannel.Status.DRAFT):
        return redirect(step_url(channel, step))
    return channel


def _wizard_context(channel: EmailChannel, step: str) -> dict[str, Any]:
    editing = channel.status != EmailChannel.Status.DRAFT
    shown = STEPS[:2] if editing else STEPS
    return {
        "channel": channel,
        "step": step,
        "step_url": step_url(channel, step),
        "steps": [(name, label, step_url(channel, name)) for name, label in shown],
        "editing": editing,
    }


@contextmanager
def refusal_shown_on(form: forms.Form) -> Iterator[None]:
    """A service's refusal inside the block shows next to the field it names, like the form's
    own errors (above the form when it names none)."""
    try:
        yield
    except Refused as error:
        form.add_error(error.field or None, error.message)


def _after_save(request: AgentRequest, channel: EmailChannel, *, next_step: str) -> HttpResponse:
    if channel.status == EmailChannel.Status.DRAFT:
        return _go(request, step_url(channel, next_step))
    messages.success(request, "Channel settings saved.")
    # The channel list is another page, not a step: htmx loads it whole (HX-Redirect) rather
    # than swapping it into the wizard's container, which drew a second top bar.
    url = reverse("channels_cfg:channel_list")
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- Connect entry ---------------------------------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def connect_start(request: AgentRequest) -> HttpResponse:
    if request.method == "POST":
        channel = wizard_services.channel_draft_start(
            workspace=request.workspace, created_by=request.agent.user
        )
        return redirect("channels_cfg:connect_from", channel.pk)
    drafts = selectors.channel_list_drafts(request.workspace)
    discard = request.GET.get("discard", "")
    context = {"drafts": drafts, "confirm_discard": int(discard) if discard.isdigit() else None}
    return render(request, "channels_cfg/connect_start.html", context)


@admin_required
@require_POST
def connect_discard(request: AgentRequest, pk: int) -> HttpResponse:
    """Discard a draft (its confirmation dialog asked first), back to the first screen."""
    channel = get_channel_or_404(request, pk)
    try:
        wizard_services.channel_draft_discard(channel=channel)
    except Refused as error:
        return refusal_response(request, error, redirect_to=reverse("channels_cfg:connect"))
    name = channel.company_name or "The draft"
    messages.success(request, f"{name} was discarded, with its forwarding address.")
    return redirect("channels_cfg:connect")


# --- Step 1: from name, from address, signature ----------------------------------------------


def _preview_context(
    request: AgentRequest, channel: EmailChannel, data: dict[str, str]
) -> dict[str, Any]:
    agent = request.agent
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


def from_step_save(request: AgentRequest, channel: EmailChannel) -> FromSettingsForm:
    """Bind step 1 to the POST and save it onto the channel; the form carries any errors."""
    form = FromSettingsForm(request.POST, channel=channel)
    if form.is_valid():
        data = dict(form.cleaned_data)
        team_address = data.pop("team_address")
        with refusal_shown_on(form):
            wizard_services.channel_from_settings_update(channel=channel, **data)
            if channel.status != EmailChannel.Status.DRAFT:
                wizard_services.channel_team_address_update(
                    channel=channel, team_address=team_address
                )
    return form


def from_step_page(
    request: AgentRequest,
    channel: EmailChannel,
    *,
    form: FromSettingsForm | None = None,
    notice: str = "",
    dialog: str = "",
    image_error: str = "",
) -> HttpResponse:
    """Step 1 as saved, or `form` as posted while it has errors (`image_error`: why an image
    upload without JavaScript was refused, shown next to its file field)."""
    if form is None or not form.errors:
        form = FromSettingsForm(initial=_from_initial(channel), channel=channel)
    data = {key: str(value) for key, value in (form.data or form.initial).items()}
    verified = selectors.is_from_address_verified(channel)
    context = _wizard_context(channel, "from")
    context.update(_preview_context(request, channel, data))
    context.update(
        form=form,
        notice=notice,
        dialog=dialog,
        tokens=[(token_marker(name), label) for name, label in TOKENS.items()],
        verify_url=step_url(channel, "from", "verify"),
        send_verification_url=step_url(channel, "from", "send_verification"),
        signature_image_url=step_url(channel, "from", "signature_image"),
        image_error=image_error,
        from_address_verified=verified,
        # Once the saved custom address is verified there is nothing to verify (until it changes).
        show_verify_button=not (
            channel.from_address_mode == EmailChannel.FromAddressMode.CUSTOM and verified
        ),
        verification_pending=selectors.verification_pending_get(
            channel=channel, now=timezone.now()
        ),
        domain_verified=selectors.is_sending_domain_verified(
            workspace=channel.workspace, address=channel.custom_from_address
        ),
    )
    return _render(request, "channels_cfg/step_from.html", context)


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
@require_http_methods(["GET", "POST"])
def from_step(request: AgentRequest, pk: int, editing: bool = False) -> HttpResponse:
    """Step 1: shows it; Next (or Save when editing) saves it and goes on."""
    channel = step_channel(request, pk, "from", editing=editing)
    if isinstance(channel, HttpResponse):
        return channel
    if request.method == "GET":
        return from_step_page(request, channel, dialog=request.GET.get("dialog", ""))
    form = from_step_save(request, channel)
    if form.errors:
        return from_step_page(request, channel, form=form)
    return _after_save(request, channel, next_step="assignment")


@admin_required
@require_POST
def from_preview(request: AgentRequest, pk: int) -> HttpResponse:
    """The live preview of the mail as the contact will see it, from unsaved form input."""
    channel = get_channel_or_404(request, pk)
    context = _preview_context(request, channel, request.POST.dict())
    return render(request, "channels_cfg/step_from.html#preview", context)


# --- Step 2: assignment and tickets ----------------------------------------------------------


def _assignment_save(request: AgentRequest, channel: EmailChannel) -> AssignmentForm:
    """Bind step 2 to the POST and save it onto the channel; the form carries any errors."""
    form = AssignmentForm(request.POST, channel=channel)
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
    return form


def _assignment_page(
    request: AgentRequest,
    channel: EmailChannel,
    *,
    form: AssignmentForm | None = None,
    notice: str = "",
    dialog: str = "",
) -> HttpResponse:
    """Step 2 as saved, or `form` as posted while it has errors."""
    if form is None or not form.errors:
        form = AssignmentForm(initial=_assignment_initial(channel), channel=channel)
    context = _wizard_context(channel, "assignment")
    context.update(
        form=form,
        notice=notice,
        dialog=dialog,
        # An edit page has Cancel instead of Back.
        back_url="" if context["editing"] else step_url(channel, "assignment", "back"),
        ticket_url=step_url(channel, "assignment", "ticket"),
        ticket_save_url=step_url(channel, "assignment", "ticket_save"),
    )
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


@admin_required
@require_http_methods(["GET", "POST"])
def assignment_step(request: AgentRequest, pk: int, editing: bool = False) -> HttpResponse:
    """Step 2: shows it; Next (or Save when editing) saves it and goes on."""
    channel = step_channel(request, pk, "assignment", editing=editing)
    if isinstance(channel, HttpResponse):
        return channel
    if request.method == "GET":
        return _assignment_page(request, channel, dialog=request.GET.get("dialog", ""))
    form = _assignment_save(request, channel)
    if form.errors:
        return _assignment_page(request, channel, form=form)
    return _after_save(request, channel, next_step="address")


@admin_required
@require_POST
def assignment_back(request: AgentRequest, pk: int) -> HttpResponse:
    """Back: saves step 2, then goes to step 1."""
    channel = step_channel(request, pk, "assignment", editing=False)
    if isinstance(channel, HttpResponse):
        return channel
    form = _assignment_save(request, channel)
    if form.errors:
        return _assignment_page(request, channel, form=form)
    return _go(request, step_url(channel, "from"))


@admin_required
@require_POST
def assignment_ticket(request: AgentRequest, pk: int, editing: bool = False) -> HttpResponse:
    """Edit ticket without JavaScript: saves step 2, then shows the ticket panel open."""
    channel = step_channel(request, pk, "assignment", editing=editing)
    if isinstance(channel, HttpResponse):
        return channel
    form = _assignment_save(request, channel)
    dialog = "" if form.errors else "ticket"
    return _assignment_page(request, channel, form=form, dialog=dialog)


@admin_required
@require_POST
def assignment_ticket_save(request: AgentRequest, pk: int, editing: bool = False) -> HttpResponse:
    """The ticket panel's Save: saves step 2 and stays on it."""
    channel = step_channel(request, pk, "assignment", editing=editing)
    if isinstance(channel, HttpResponse):
        return channel
    form = _assignment_save(request, channel)
    notice = "" if form.errors else "Ticket properties saved."
    return _assignment_page(request, channel, form=form, notice=notice)


# --- Step 3: forwarding address --------------------------------------------------------------


def _draft_or_list(request: AgentRequest, pk: int) -> EmailChannel | HttpResponse:
    """The draft of the address and provider steps; a connected channel has neither."""
    channel = get_channel_or_404(request, pk)
    if channel.status != EmailChannel.Status.DRAFT:
        return redirect("channels_cfg:channel_list")
    return channel


def _address_page(
    request: AgentRequest,
    channel: EmailChannel,
    *,
    form: ForwardingAddressForm | None = None,
    notice: str = "",
    dialog: str = "",
) -> HttpResponse:
    forwarding = channel.forwarding_address
    if form is None:
        local_part = forwarding.address.partition("@")[0]
        form = ForwardingAddressForm(initial={"local_part": local_part}, channel=channel)
    context = _wizard_context(channel, "address")
    context.update(
        form=form,
        forwarding=forwarding,
        notice=notice,
        dialog=dialog,
        customize_url=step_url(channel, "address", "customize"),
    )
    return _render(request, "channels_cfg/step_address.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def address_step(request: AgentRequest, pk: int) -> HttpResponse:
    """Step 3: shows the forwarding address; Next goes on."""
    channel = _draft_or_list(request, pk)
    if isinstance(channel, HttpResponse):
        return channel
    if request.method == "POST":
        return _go(request, step_url(channel, "provider"))
    return _address_page(request, channel, dialog=request.GET.get("dialog", ""))


@admin_required
@require_POST
def address_customize(request: AgentRequest, pk: int) -> HttpResponse:
    """The Customize address dialog's Save: a new local part, or the dialog again with why not."""
    channel = _draft_or_list(request, pk)
    if isinstance(channel, HttpResponse):
        return channel
    form = ForwardingAddressForm(request.POST, channel=channel)
    if form.is_valid():
        with refusal_shown_on(form):
            forwarding = wizard_services.forwarding_address_customize(
                channel=channel, local_part=form.cleaned_data["local_part"]
            )
            channel.forwarding_address = forwarding
            return _address_page(
                request, channel, notice=f"Your forwarding address is now {forwarding.address}."
            )
    return _address_page(request, channel, form=form, dialog="customize")


# --- Step 4: provider instructions, confirmation, Connect & finish ----------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def provider_step(request: AgentRequest, pk: int) -> HttpResponse:
    """Step 4: the provider's instructions; a POST saves the provider and the team mailbox."""
    channel = _draft_or_list(request, pk)
    if isinstance(channel, HttpResponse):
        return channel
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
def connect_confirmation(request: AgentRequest, pk: int) -> HttpResponse:
    """The small fragment the provider step polls until a forwarding confirmation arrives."""
    channel = get_channel_or_404(request, pk)
    context = {
        "channel": channel,
        "provider": provider_get(channel.provider or "gmail") or PROVIDERS[0],
        "confirmation": selectors.confirmation_latest_get(channel),
    }
    return render(request, "channels_cfg/step_provider.html#confirmation", context)


@admin_required
@require_POST
def connect_finish(request: AgentRequest, pk: int) -> HttpResponse:
    """Connect & finish: the channel list, or step 4 again listing what stands in the way."""
    channel = get_channel_or_404(request, pk)
    try:
        channel_services.channel_connect(channel=channel, now=timezone.now())
    except channel_services.ChannelNotReady as error:
        form = ProviderForm(
            initial={"provider": channel.provider or "gmail", "team_address": channel.team_address}
        )
        context = _provider_context(channel, form, problems=error.problems)
        response = _render(request, "channels_cfg/step_provider.html", context)
        # htmx swaps only 2xx answers; a plain form post is told the request could not be done.
        response.status_code = 200 if request.htmx else 422
        return response
    messages.success(
        request, f"{channel.company_name} is connected. Mail forwarded to it arrives in the inbox."
    )
    url = reverse("channels_cfg:channel_list")
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
