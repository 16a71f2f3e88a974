"""Bulk actions on the inbox list (the checkboxes' toolbar) and their undo.

One POST applies the action to every selected conversation (inbox.services.bulk). With htmx the
answer is the status line with an Undo button, swapped above the list, and an `inbox-bulk-changed`
event that makes static/js/bulk.js reload the list; without JavaScript it is a small page with
the same Undo button.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from helpdesk.models import Agent
from helpdesk.refusals import Refused
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import agent_required, get_scoped_or_404
from inbox.models import BulkAction, Tag
from inbox.services import bulk as services
from inbox.snooze_times import InvalidSnoozeTime, choice_until, describe, zone_for

STATUS = "inbox/partials/bulk_status.html"
CHANGED_EVENT = "inbox-bulk-changed"


def _next_page(request: AgentRequest) -> str:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return reverse("inbox:index")
    return target


def _zone_name(request: AgentRequest) -> str:
    """The agent's clock for the snooze choices (blank: the workspace's)."""
    return request.agent.time_zone or request.workspace.time_zone


def _change(request: AgentRequest) -> services.BulkChange:
    """The action and its argument from the toolbar's fields."""
    action = request.POST.get("action", "")
    post = request.POST
    if action == services.Action.ASSIGN:
        value = post.get("assignee", "")
        if value == "":
            raise Refused("Choose whom to assign the conversations to.", field="assignee")
        assignee = (
            None
            if value == "none"
            else request.agent
            if value == "me"
            else get_scoped_or_404(
                Agent, request.workspace, user_id=value if value.isdigit() else 0
            )
        )
        return services.BulkChange(action=action, assignee=assignee)
    if action == services.Action.TAG:
        tag_id = post.get("tag", "")
        tag = get_scoped_or_404(Tag, request.workspace, pk=tag_id) if tag_id.isdigit() else None
        return services.BulkChange(action=action, tag=tag)
    if action == services.Action.SNOOZE:
        try:
            until = choice_until(
                post.get("snooze", ""), now=timezone.now(), zone_name=_zone_name(request)
            )
        except InvalidSnoozeTime as error:
            raise Refused(str(error), field="snooze") from error
        return services.BulkChange(action=action, until=until)
    return services.BulkChange(action=action)


def _count(number: int) -> str:
    return f"{number} conversation{'' if number == 1 else 's'}"


def _summary(request: AgentRequest, change: services.BulkChange, changed: int) -> str:
    what = _count(changed)
    if change.action == services.Action.ASSIGN:
        if change.assignee is None:
            return f"Unassigned {what}."
        name = "you" if change.assignee == request.agent else change.assignee.full_name
        return f"Assigned {what} to {name}."
    if change.action == services.Action.TAG and change.tag is not None:
        return f"Tagged {what} “{change.tag.name}”."
    if change.action == services.Action.SNOOZE and change.until is not None:
        zone = zone_for(_zone_name(request))
        return f"Snoozed {what} until {describe(change.until, now=timezone.now(), zone=zone)}."
    if change.action == services.Action.SPAM:
        return f"Marked {what} as spam; their senders are blocked."
    verb = {services.Action.CLOSE: "Closed", services.Action.REOPEN: "Reopened"}
    return f"{verb.get(change.action, 'Changed')} {what}."


def _status(
    request: AgentRequest, context: dict[str, Any], *, changed: bool, status: int = 200
) -> HttpResponse:
    if request.htmx:
        response = render(request, STATUS, context)
        return trigger_client_event(response, CHANGED_EVENT) if changed else response
    return render(request, "inbox/bulk_done.html", context, status=status)


def _refused(request: AgentRequest, error: Refused) -> HttpResponse:
    if request.htmx:
        return render(request, STATUS, {"error": str(error)})
    flash.error(request, str(error))
    return redirect(_next_page(request))


@agent_required
@require_POST
def bulk_apply(request: AgentRequest) -> HttpResponse:
    ids = [value for value in request.POST.getlist("thread") if value.isdigit()]
    try:
        change = _change(request)
        result = services.bulk_apply(
            workspace=request.workspace,
            thread_ids=[int(pk) for pk in ids],
            change=change,
            by=request.agent,
        )
    except Refused as error:
        return _refused(request, error)
    context = {
        "bulk": result.bulk if result.changed else None,
        "summary": _summary(request, change, result.changed)
        if result.changed
        else "Nothing changed.",
        "skipped": result.skipped,
        "undo_seconds": services.UNDO_SECONDS,
        "next": _next_page(request),
    }
    return _status(request, context, changed=result.changed > 0)


@agent_required
@require_POST
def bulk_undo(request: AgentRequest, pk: int) -> HttpResponse:
    bulk = get_scoped_or_404(BulkAction, request.workspace, pk=pk)
    try:
        restored = services.bulk_undo(bulk=bulk, by=request.agent)
    except Refused as error:
        return _refused(request, error)
    context = {
        "summary": f"Undone: {_count(restored)} back as they were.",
        "next": _next_page(request),
    }
    return _status(request, context, changed=True)
