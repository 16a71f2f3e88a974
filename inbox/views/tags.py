"""Tags on a thread (the side panel's typeahead) and the admins' tag settings page.

Thin adapters over inbox.services.tags and inbox.selectors.tags. The panel's forms work as
plain posts (back to the thread) and, with htmx, swap the panel in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib import messages as flash
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from helpdesk.refusals import Refused
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import admin_required, agent_required, get_scoped_or_404
from inbox.models import Tag, Thread
from inbox.selectors import tags as selectors
from inbox.selectors.threads import thread_get
from inbox.services import tags as services

PANEL = "inbox/partials/tag_panel.html"


def _load_thread(request: AgentRequest, pk: int) -> Thread:
    thread = thread_get(workspace=request.workspace, pk=pk)
    if thread is None:
        raise Http404("Not found")
    if thread.kind == Thread.Kind.FORWARDING_CONFIRMATION and not request.agent.is_admin:
        raise Http404("Not found")
    return thread


def _panel(request: AgentRequest, thread: Thread, *, error: str = "") -> HttpResponse:
    if request.htmx:
        return render(request, PANEL, {"thread": thread, "tag_error": error})
    if error:
        flash.error(request, error)
    return redirect("inbox:thread", pk=thread.pk)


@agent_required
@require_GET
def thread_tag_suggest(request: AgentRequest, pk: int) -> HttpResponse:
    """The typeahead's options: matching tags the thread lacks, and "Create" for a new name."""
    thread = _load_thread(request, pk)
    query = " ".join(request.GET.get("name", "").split())[: services.TAG_NAME_MAX_LENGTH]
    current = list(thread.tags.all())
    suggestions = selectors.tag_suggestions(
        workspace=request.workspace, query=query, exclude_ids=[tag.pk for tag in current]
    )
    taken = {tag.name.lower() for tag in [*current, *suggestions]}
    exact = selectors.tag_get_by_name(workspace=request.workspace, name=query) if query else None
    context = {
        "thread": thread,
        "query": query,
        "suggestions": suggestions,
        "can_create": bool(query) and query.lower() not in taken and exact is None,
    }
    return render(request, "inbox/partials/tag_suggestions.html", context)


@agent_required
@require_POST
def thread_tag_add(request: AgentRequest, pk: int) -> HttpResponse:
    """Add the chosen tag (`tag`, an id) or the tag named `name` (created if it is new)."""
    thread = _load_thread(request, pk)
    tag_id = request.POST.get("tag", "")
    try:
        if tag_id:
            tag = get_scoped_or_404(Tag, request.workspace, pk=tag_id if tag_id.isdigit() else 0)
        else:
            tag = services.tag_find_or_create(
                workspace=request.workspace, name=request.POST.get("name", "")
            )
        services.thread_tag_add(thread=thread, tag=tag, by=request.agent)
    except Refused as error:
        return _panel(request, thread, error=str(error))
    return _panel(request, thread)


@agent_required
@require_POST
def thread_tag_remove(request: AgentRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    tag_id = request.POST.get("tag", "")
    tag = get_scoped_or_404(Tag, request.workspace, pk=tag_id if tag_id.isdigit() else 0)
    services.thread_tag_remove(thread=thread, tag=tag, by=request.agent)
    return _panel(request, thread)


# --- The admins' settings page ----------------------------------------------------------------


def _settings_page(
    request: AgentRequest, *, errors: dict[str, dict[str, str]] | None = None, status: int = 200
) -> HttpResponse:
    errors = errors or {}
    tags = selectors.tag_list_with_counts(workspace=request.workspace)
    context: dict[str, Any] = {
        "rows": [
            {
                "tag": tag,
                "others": [other for other in tags if other.pk != tag.pk],
                "errors": errors.get(f"tag-{tag.pk}", {}),
                "merge_errors": errors.get(f"merge-{tag.pk}", {}),
            }
            for tag in tags
        ],
        "colours": Tag.Colour.choices,
        "create_errors": errors.get("create", {}),
        "posted": request.POST if request.method == "POST" else {},
    }
    return render(request, "inbox/tags_settings.html", context, status=status)


@contextmanager
def _refusal_on(form: str, errors: dict[str, dict[str, str]]) -> Iterator[None]:
    """A refusal shows next to the field it names in that form (above the form otherwise)."""
    try:
        yield
    except Refused as error:
        errors[form] = {error.field or "form": error.message}


@admin_required
@require_GET
def tag_settings(request: AgentRequest) -> HttpResponse:
    return _settings_page(request)


@admin_required
@require_POST
def tag_settings_create(request: AgentRequest) -> HttpResponse:
    errors: dict[str, dict[str, str]] = {}
    with _refusal_on("create", errors):
        tag = services.tag_create(
            workspace=request.workspace,
            name=request.POST.get("name", ""),
            colour=request.POST.get("colour", "") or Tag.Colour.GREY,
        )
        flash.success(request, f"Tag “{tag.name}” created.")
        return redirect("tags:settings")
    return _settings_page(request, errors=errors, status=400)


@admin_required
@require_POST
def tag_settings_update(request: AgentRequest, pk: int) -> HttpResponse:
    tag = get_scoped_or_404(Tag, request.workspace, pk=pk)
    before = tag.name
    errors: dict[str, dict[str, str]] = {}
    with _refusal_on(f"tag-{pk}", errors):
        services.tag_update(
            tag=tag, name=request.POST.get("name", ""), colour=request.POST.get("colour", "")
        )
        note = f"Tag “{before}” renamed to “{tag.name}”." if before != tag.name else "Tag saved."
        flash.success(request, note)
        return redirect("tags:settings")
    return _settings_page(request, errors=errors, status=400)


@admin_required
@require_POST
def tag_settings_merge(request: AgentRequest, pk: int) -> HttpResponse:
    source = get_scoped_or_404(Tag, request.workspace, pk=pk)
    target_id = request.POST.get("target", "")
    errors: dict[str, dict[str, str]] = {}
    with _refusal_on(f"merge-{pk}", errors):
        if not target_id.isdigit():
            raise Refused("Choose the tag to merge into.", field="target")
        target = get_scoped_or_404(Tag, request.workspace, pk=target_id)
        moved = services.tag_merge(source=source, target=target, by=request.agent)
        flash.success(
            request,
            f"Merged “{source.name}” into “{target.name}”: {moved} conversation"
            f"{'' if moved == 1 else 's'} moved.",
        )
        return redirect("tags:settings")
    return _settings_page(request, errors=errors, status=400)
