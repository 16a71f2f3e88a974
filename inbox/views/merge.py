"""Merge two conversations, split messages out of one, and undo either: each through a
confirmation page (GET shows what will happen, POST does it), thin over inbox.services.merge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages as flash
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from channels_cfg.models import TicketCategory, TicketPriority, TicketStatus
from helpdesk.models import Agent, Team
from helpdesk.refusals import Refused
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import agent_required, get_scoped_or_404
from inbox.models import Message, Thread, ThreadEvent
from inbox.selectors import merge as selectors
from inbox.selectors.threads import thread_get
from inbox.services import merge as services
from inbox.views.refusals import answers_refusals

LABELS = {
    "status": "Conversation",
    "assignee": "Assigned to",
    "ticket_status": "Ticket status",
    "priority": "Priority",
    "category": "Category",
    "owner": "Ticket owner",
}


def _conversation(request: AgentRequest, pk: int) -> Thread:
    """A conversation of the agent's workspace, or 404 (another workspace's, or a merged one)."""
    thread = thread_get(workspace=request.workspace, pk=pk)
    if thread is None or thread.kind == Thread.Kind.FORWARDING_CONFIRMATION:
        raise Http404("Not found")
    return thread


def _merged_away(request: AgentRequest, *threads: Thread) -> HttpResponse | None:
    """For a conversation merged into another since the page was opened (the back button, a
    second tab): say so and go to the one it is part of now."""
    for thread in threads:
        if thread.merged_into_id is not None:
            flash.info(request, f"#{thread.pk} has been merged into #{thread.merged_into_id}.")
            return redirect("inbox:thread", pk=thread.merged_into_id)
    return None


@dataclass(frozen=True)
class PropertyRow:
    """One reconciled property of the confirmation page: both values, and whether they differ."""

    name: str
    label: str
    target: str
    source: str

    @property
    def differs(self) -> bool:
        return self.target != self.source


def _describe(request: AgentRequest, properties: services.Properties) -> dict[str, str]:
    agents = {
        agent.user_id: agent.full_name
        for agent in Agent.objects.filter(workspace_id=request.workspace.pk).select_related("user")
    }
    team = (
        Team.objects.filter(workspace_id=request.workspace.pk, pk=properties.team_id).first()
        if properties.team_id is not None
        else None
    )
    assignee = agents.get(properties.assignee_id or 0, "")
    if not assignee:
        assignee = f"team {team.name}" if team else "nobody"
    no_ticket = "(no ticket)"
    return {
        "status": "Closed" if properties.status == Thread.Status.CLOSED else "Open",
        "assignee": assignee,
        "ticket_status": _label(TicketStatus, properties.ticket_status, no_ticket),
        "priority": _label(TicketPriority, properties.priority, no_ticket),
        "category": _label(TicketCategory, properties.category, no_ticket),
        "owner": (
            agents.get(properties.owner_id or 0, "No owner") if properties.has_ticket else no_ticket
        ),
    }


def _label(choices: Any, value: str | None, missing: str) -> str:
    if value is None:
        return missing
    return str(dict(choices.choices).get(value, value))


def _property_rows(
    request: AgentRequest, target: services.Properties, source: services.Properties
) -> list[PropertyRow]:
    mine, theirs = _describe(request, target), _describe(request, source)
    differing = set(services.differences(target, source))
    return [
        PropertyRow(
            name, LABELS[name], mine[name], theirs[name] if name in differing else mine[name]
        )
        for name in services.RECONCILED
    ]


@agent_required
@require_http_methods(["GET"])
def merge_pick(request: AgentRequest, pk: int) -> HttpResponse:
    """Choose the conversation to merge with: search by subject, contact or number."""
    thread = _conversation(request, pk)
    if moved := _merged_away(request, thread):
        return moved
    query = request.GET.get("q", "")[:200]
    context = {
        "thread": thread,
        "query": query,
        "candidates": selectors.merge_candidates(
            workspace=request.workspace, thread=thread, query=query
        ),
    }
    if request.htmx and request.htmx.target == "merge-results":
        return render(request, "inbox/merge_pick.html#results", context)
    return render(request, "inbox/merge_pick.html", context)


def _merge_url(request: AgentRequest, pk: int, other_pk: int) -> str:
    return reverse("inbox:merge_confirm", kwargs={"pk": pk, "other_pk": other_pk})


@agent_required
@require_http_methods(["GET", "POST"])
@answers_refusals(redirect_to=_merge_url)
def merge_confirm(request: AgentRequest, pk: int, other_pk: int) -> HttpResponse:
    """Both conversations side by side, the properties that differ to choose; POST merges."""
    thread, other = _conversation(request, pk), _conversation(request, other_pk)
    if moved := _merged_away(request, thread, other):
        return moved
    target, source = services.merge_order(thread, other)
    if request.method == "POST":
        choices = {
            name: request.POST.get(f"choice_{name}", services.TARGET)
            for name in services.differences(
                services.properties_of(target), services.properties_of(source)
            )
        }
        merged = services.thread_merge(
            thread=thread, other=other, choices=choices, by=request.agent
        )
        flash.success(
            request,
            f"Merged #{source.pk} into this conversation. "
            "You can undo it from the merge history below.",
        )
        return redirect("inbox:thread", pk=merged.pk)
    rows = _property_rows(request, services.properties_of(target), services.properties_of(source))
    context = {
        "thread": thread,
        "other": other,
        "target": target,
        "source": source,
        "rows": rows,
        "has_differences": any(row.differs for row in rows),
    }
    return render(request, "inbox/merge_confirm.html", context)


def _split_url(request: AgentRequest, pk: int, message_pk: int) -> str:
    return reverse("inbox:split_confirm", kwargs={"pk": pk, "message_pk": message_pk})


@agent_required
@require_http_methods(["GET", "POST"])
@answers_refusals(redirect_to=_split_url)
def split_confirm(request: AgentRequest, pk: int, message_pk: int) -> HttpResponse:
    """What a split moves into a new conversation; POST splits and opens the new one."""
    thread = _conversation(request, pk)
    message = get_scoped_or_404(Message, request.workspace, pk=message_pk, thread_id=thread.pk)
    if moved := _merged_away(request, thread):
        return moved
    if request.method == "POST":
        with_later = request.POST.get("with_later") == "1"
        new = services.message_split(message=message, with_later=with_later, by=request.agent)
        flash.success(
            request,
            f"Split out of #{thread.pk} into this new conversation. "
            "You can undo it from the split history below.",
        )
        return redirect("inbox:thread", pk=new.pk)
    later = services.split_message_ids(message, with_later=True)
    context = {
        "thread": thread,
        "message": message,
        "later_count": len(later) - 1,
        "is_first": not Message.objects.filter(thread_id=thread.pk).exclude(pk__in=later).exists(),
    }
    return render(request, "inbox/split_confirm.html", context)


def _undo_url(request: AgentRequest, pk: int, event_pk: int) -> str:
    return reverse("inbox:merge_undo", kwargs={"pk": pk, "event_pk": event_pk})


@agent_required
@require_http_methods(["GET", "POST"])
@answers_refusals(redirect_to=_undo_url)
def undo_confirm(request: AgentRequest, pk: int, event_pk: int) -> HttpResponse:
    """What undoing a merge or a split restores; POST undoes it."""
    thread = _conversation(request, pk)
    try:
        event = services.undoable_event(thread, event_pk)
    except Refused as error:
        raise Http404("Not found") from error
    if request.method == "POST":
        shown = services.event_undo(event=event, by=request.agent)
        done = "Merge undone" if event.kind == ThreadEvent.Kind.MERGED else "Split undone"
        flash.success(request, f"{done}: the conversations are as they were before.")
        return redirect("inbox:thread", pk=shown.pk)
    context: dict[str, Any] = {
        "thread": thread,
        "event": event,
        "is_merge": event.kind == ThreadEvent.Kind.MERGED,
        "is_undone": services.is_undone(event),
        "message_count": len(event.data.get("message_ids", [])),
    }
    if context["is_merge"]:
        before = services.Properties(**event.data["target_before"])
        now = services.properties_of(thread)
        context["rows"] = [
            PropertyRow(name, LABELS[name], current, restored)
            for (name, current), restored in zip(
                _describe(request, now).items(), _describe(request, before).values(), strict=True
            )
        ]
        context["other_pk"] = event.data["source_thread_id"]
    else:
        context["other_pk"] = event.data["new_thread_id"]
    return render(request, "inbox/merge_undo.html", context)
