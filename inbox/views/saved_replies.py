"""Saved replies: the management page (/inbox/saved-replies/: search, create, edit, delete) and
the composer's picker (the matches for a thread, and one filled in for it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from csp.constants import NONCE, SELF
from csp.decorators import csp_update
from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels_cfg.forms import AccessibleErrorsForm
from helpdesk.refusals import Refused
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import agent_required
from inbox.models import SavedReply, Thread
from inbox.outbound.compose import text_to_html
from inbox.saved_reply_tokens import TOKENS
from inbox.selectors import saved_replies as selectors
from inbox.selectors.threads import thread_get
from inbox.services import saved_replies as services


class SavedReplyForm(AccessibleErrorsForm):
    name = forms.CharField(label="Name", max_length=services.NAME_MAX_LENGTH)
    # The rich editor writes here; without JavaScript it is a plain textarea of HTML-free text.
    body = forms.CharField(
        label="Text", widget=forms.Textarea(attrs={"rows": 8}), required=False, strip=False
    )
    shared = forms.BooleanField(
        label="Share with the whole workspace", required=False, help_text="Admins only."
    )


def _get_visible_or_404(request: AgentRequest, pk: int) -> SavedReply:
    saved_reply = selectors.saved_reply_get_visible(agent=request.agent, pk=pk)
    if saved_reply is None:
        raise Http404("Not found")
    return saved_reply


def _get_editable_or_404(request: AgentRequest, pk: int) -> SavedReply:
    """Someone else's personal reply is a 404; a shared one a non-admin may not edit is too."""
    saved_reply = _get_visible_or_404(request, pk)
    if not services.is_saved_reply_editable(agent=request.agent, saved_reply=saved_reply):
        raise Http404("Not found")
    return saved_reply


@agent_required
@require_GET
def saved_reply_list(request: AgentRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    replies = list(
        selectors.saved_reply_list_visible(agent=request.agent, query=query).select_related("owner")
    )
    for saved_reply in replies:
        saved_reply.editable = services.is_saved_reply_editable(  # type: ignore[attr-defined]
            agent=request.agent, saved_reply=saved_reply
        )
    context = {"replies": replies, "query": query}
    if request.htmx and request.htmx.target == "saved-reply-results":
        return render(request, "inbox/saved_replies.html#results", context)
    return render(request, "inbox/saved_replies.html", context)


def _form_page(
    request: AgentRequest, form: SavedReplyForm, saved_reply: SavedReply | None
) -> HttpResponse:
    context = {
        "form": form,
        "saved_reply": saved_reply,
        "tokens": TOKENS,
        "attachments": list(saved_reply.attachments.all()) if saved_reply else [],
    }
    return render(request, "inbox/saved_replies_form.html", context)


def _initial(saved_reply: SavedReply | None) -> dict[str, object]:
    if saved_reply is None:
        return {}
    return {
        "name": saved_reply.name,
        "body": saved_reply.body_html,
        "shared": saved_reply.is_shared,
    }


View = TypeVar("View", bound=Callable[..., HttpResponse])


def _editor_policy(view: View) -> View:
    """The editor (Trix) adds its default rules as <style> elements carrying the page's nonce;
    django-csp types its decorators for views taking a request only."""
    return cast(View, csp_update({"style-src-elem": [SELF, NONCE]})(cast(Any, view)))


@agent_required
@require_http_methods(["GET", "POST"])
@_editor_policy
def saved_reply_create(request: AgentRequest) -> HttpResponse:
    return _save(request, None)


@agent_required
@require_http_methods(["GET", "POST"])
@_editor_policy
def saved_reply_edit(request: AgentRequest, pk: int) -> HttpResponse:
    return _save(request, _get_editable_or_404(request, pk))


def _save(request: AgentRequest, saved_reply: SavedReply | None) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, SavedReplyForm(initial=_initial(saved_reply)), saved_reply)
    form = SavedReplyForm(request.POST)
    if form.is_valid():
        arguments: dict[str, Any] = {
            "agent": request.agent,
            "name": form.cleaned_data["name"],
            # Without JavaScript the text arrives from the plain textarea.
            "body_html": form.cleaned_data["body"]
            or text_to_html(request.POST.get("body_text", "")),
            "shared": form.cleaned_data["shared"],
            "files": request.FILES.getlist("attachments"),
        }
        try:
            if saved_reply is None:
                saved_reply = services.saved_reply_create(**arguments)
            else:
                removed = [int(pk) for pk in request.POST.getlist("remove") if pk.isdigit()]
                services.saved_reply_update(
                    saved_reply=saved_reply,
                    remove_attachment_ids=removed,
                    **arguments,
                )
        except Refused as error:
            # The sharing box is an admin's alone; anyone else reads its refusal at the top.
            shown = {"name", "body"} | ({"shared"} if request.agent.is_admin else set())
            form.add_error(error.field if error.field in shown else None, str(error))
        else:
            messages.success(request, f"Saved reply “{saved_reply.name}” saved.")
            return redirect("inbox:saved_replies")
    return _form_page(request, form, saved_reply)


@agent_required
@require_POST
def saved_reply_delete(request: AgentRequest, pk: int) -> HttpResponse:
    saved_reply = _get_editable_or_404(request, pk)
    services.saved_reply_delete(agent=request.agent, saved_reply=saved_reply)
    messages.success(request, f"Saved reply “{saved_reply.name}” deleted.")
    return redirect("inbox:saved_replies")


def _thread_or_404(request: AgentRequest, pk: int) -> Thread:
    thread = thread_get(workspace=request.workspace, pk=pk)
    if thread is None or thread.kind == Thread.Kind.FORWARDING_CONFIRMATION:
        raise Http404("Not found")
    return thread


@agent_required
@require_GET
def saved_reply_picker(request: AgentRequest, pk: int) -> HttpResponse:
    """The composer's matches for `q`, as the options of its listbox."""
    thread = _thread_or_404(request, pk)
    query = request.GET.get("q", "")[:120]
    context = {
        "thread": thread,
        "replies": selectors.saved_reply_list_for_picker(agent=request.agent, query=query),
        "query": query,
    }
    return render(request, "inbox/partials/saved_reply_options.html", context)


@agent_required
@require_POST
def saved_reply_insert(request: AgentRequest, pk: int, reply_pk: int) -> JsonResponse:
    """The saved reply filled in for the thread (HTML for the editor) and its files; counted."""
    thread = _thread_or_404(request, pk)
    saved_reply = _get_visible_or_404(request, reply_pk)
    body = services.saved_reply_use(saved_reply=saved_reply, thread=thread, agent=request.agent)
    attachments = [
        {"id": item.pk, "filename": item.filename, "size": item.size}
        for item in saved_reply.attachments.all()
    ]
    return JsonResponse(
        {
            "html": body,
            "attachments": attachments,
            "manage_url": reverse("inbox:saved_replies"),
        }
    )
