"""Sending beyond replies: a new email, forwarding a message or a thread, undoing a reply during
its grace period, and the admins' setting of that grace period. Thin adapters over
inbox.services.compose_new, .forwarding and .undo_send."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from csp.constants import NONCE, SELF
from csp.decorators import csp_update
from django import forms
from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, trigger_client_event

from channels_cfg.models import EmailChannel
from helpdesk.refusals import Refused
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import admin_required, agent_required, get_scoped_or_404
from inbox.models import Message
from inbox.outbound.compose import address_list
from inbox.presenters import present_message
from inbox.selectors.threads import max_attachment_bytes
from inbox.services import compose_new, forwarding, undo_send
from inbox.views.threads import _load_thread

_ADDRESSES_HELP = "One or more addresses, separated by commas."


def _address_field(label: str, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=4000,
        required=required,
        help_text=_ADDRESSES_HELP,
        error_messages={"required": f"Add the address to send this to ({label})."},
    )


def _clean_addresses(form: forms.Form, name: str, label: str) -> str:
    """Every address checked as the service will (each error at once, beside its field)."""
    value: str = form.cleaned_data.get(name, "")
    try:
        address_list(value, label=label, field=name)
    except Refused as error:
        raise forms.ValidationError(str(error)) from None
    return value


class NewEmailForm(forms.Form):
    channel = forms.TypedChoiceField(label="From", coerce=int)
    to = _address_field("To")
    cc = _address_field("Cc", required=False)
    subject = forms.CharField(
        label="Subject", max_length=998, error_messages={"required": "Write a subject."}
    )
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": "Write a message before sending."},
    )

    def __init__(self, *args: Any, channels: list[EmailChannel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channels = {channel.pk: channel for channel in channels}
        channel_field = self.fields["channel"]
        assert isinstance(channel_field, forms.ChoiceField)
        channel_field.choices = [
            (channel.pk, f"{channel.name or channel.company_name} <{channel.from_address}>")
            for channel in channels
        ]
        for name in ("to", "cc"):
            self.fields[name].widget.attrs.update(autocomplete="off", spellcheck="false")

    def clean_to(self) -> str:
        return _clean_addresses(self, "to", "To")

    def clean_cc(self) -> str:
        return _clean_addresses(self, "cc", "Cc")


View = TypeVar("View", bound=Callable[..., HttpResponse])


def _editor_policy(view: View) -> View:
    """The rich-text editor (Trix) adds its default rules as <style> elements carrying the
    page's nonce; django-csp types its decorators for views taking a request only."""
    return cast(View, csp_update({"style-src-elem": [SELF, NONCE]})(cast(Any, view)))


@agent_required
@require_http_methods(["GET", "POST"])
@_editor_policy
def new_email(request: AgentRequest) -> HttpResponse:
    channels = compose_new.sending_channels(agent=request.agent)
    form = NewEmailForm(request.POST or None, channels=channels)
    if request.method == "POST" and form.is_valid():
        email = compose_new.NewEmail(
            to=form.cleaned_data["to"],
            cc=form.cleaned_data["cc"],
            subject=form.cleaned_data["subject"],
            body_text=form.cleaned_data["body"],
            body_html=request.POST.get("body_html", ""),
        )
        try:
            message = compose_new.new_email_send(
                agent=request.agent,
                channel=form.channels[form.cleaned_data["channel"]],
                email=email,
                files=request.FILES.getlist("attachments"),
            )
        except Refused as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            flash.success(request, f"Sending your email to {message.to}.")
            return redirect("inbox:thread", pk=message.thread_id)
    context = {
        "form": form,
        "has_channels": bool(channels),
        "body_html": request.POST.get("body_html", ""),
        **_limits(),
    }
    return render(request, "inbox/new_email.html", context)


def _limits() -> dict[str, int]:
    return {"max_attachment_bytes": max_attachment_bytes()}


class ForwardForm(forms.Form):
    to = _address_field("To")
    note = forms.CharField(
        label="Note to the recipient",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown above the forwarded mail.",
    )
    whole_thread = forms.TypedChoiceField(
        label="Forward",
        choices=[("0", "This message"), ("1", "The whole conversation")],
        coerce=lambda value: value == "1",
        initial="0",
        widget=forms.RadioSelect,
    )

    def clean_to(self) -> str:
        return _clean_addresses(self, "to", "To")


@agent_required
@require_http_methods(["GET", "POST"])
def message_forward(request: AgentRequest, pk: int, message_pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    message = get_scoped_or_404(
        Message.objects.select_related("thread", "thread__channel"),
        request.workspace,
        pk=message_pk,
        thread_id=thread.pk,
    )
    # Ids of its own: the form opens inside the thread page, beside other forms.
    form = ForwardForm(request.POST or None, auto_id=f"forward-{message.pk}-%s")
    # Opened under the message by htmx: the address field takes the focus (htmx honours it).
    form.fields["to"].widget.attrs["autofocus"] = True
    if request.method == "POST" and form.is_valid():
        try:
            forwarding.message_forward(
                message=message,
                agent=request.agent,
                to=form.cleaned_data["to"],
                note=form.cleaned_data["note"],
                whole_thread=form.cleaned_data["whole_thread"],
            )
        except Refused as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            flash.success(request, f"Forwarding to {form.cleaned_data['to']}.")
            return redirect("inbox:thread", pk=thread.pk)
    context = {"form": form, "thread": thread, "message": message}
    if request.htmx and request.method == "GET":
        return render(request, "inbox/partials/forward_form.html", context)
    return render(request, "inbox/partials/forward_page.html", context)


@agent_required
@require_POST
def reply_undo(request: AgentRequest, pk: int) -> HttpResponse:
    """Take back a reply in its grace period: htmx removes it from the thread and the composer
    gets its text back; without JavaScript the thread shows the text in a message."""
    message = get_scoped_or_404(Message.objects.select_related("thread"), request.workspace, pk=pk)
    try:
        undone = undo_send.reply_undo(message=message, by=request.agent)
    except Refused as error:
        return _undo_refused(request, message, str(error))
    note = "Reply undone: it was not sent."
    if undone.had_attachments:
        note += " Attach its files again before sending."
    if request.htmx:
        # The Undo button's hx-swap="delete" removes the message; undo_send.js refills the composer.
        response = HttpResponse(status=200)
        detail = {"html": undone.html, "text": undone.text, "cc": undone.cc, "note": note}
        return trigger_client_event(response, "undo-send", detail)
    flash.success(request, f"{note} What you wrote: {undone.text}")
    return redirect("inbox:thread", pk=undone.thread_id)


def _undo_refused(request: AgentRequest, message: Message, sentence: str) -> HttpResponse:
    if not request.htmx:
        flash.error(request, sentence)
        return redirect("inbox:thread", pk=message.thread_id)
    fresh = Message.objects.prefetch_related("attachments", "bounces").get(pk=message.pk)
    context = {"thread": message.thread, "view": present_message(fresh)}
    response = reswap(render(request, "inbox/thread.html#message", context), "outerHTML")
    return trigger_client_event(response, "undo-send-refused", {"note": sentence})


class UndoSendSettingsForm(forms.Form):
    undo_send_seconds = forms.IntegerField(
        label="Undo send grace period (seconds)",
        min_value=0,
        max_value=undo_send.MAX_UNDO_SEND_SECONDS,
        help_text="How long a reply waits before it is sent, so its author can undo it. "
        "0 sends replies at once.",
    )


@admin_required
@require_http_methods(["GET", "POST"])
def undo_send_settings(request: AgentRequest) -> HttpResponse:
    workspace = request.workspace
    initial = {"undo_send_seconds": workspace.undo_send_seconds}
    form = UndoSendSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        undo_send.undo_send_seconds_set(
            workspace=workspace, seconds=form.cleaned_data["undo_send_seconds"]
        )
        flash.success(request, "Saved.")
        return redirect("inbox:sending_settings")
    return render(request, "inbox/sending_settings.html", {"form": form})
