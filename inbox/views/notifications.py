"""The bell (its live unread count and its list), the notifications page and the agent's
notification settings. Every row is the signed-in agent's own: another agent's notification,
or another workspace's, is a 404."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.requests import AgentRequest
from helpdesk.tenancy import agent_required, get_scoped_or_404
from inbox.models import Notification
from inbox.selectors import notifications as selectors
from inbox.services import notifications as services


def _present(notification: Notification) -> dict[str, object]:
    return {
        "notification": notification,
        "sentence": services.describe(notification, actor_name=services.actor_name(notification)),
    }


def _list_context(request: AgentRequest) -> dict[str, object]:
    before = request.GET.get("before", "")
    page = selectors.notification_list(
        user_id=request.agent.user_id, before=int(before) if before.isdigit() else None
    )
    return {
        "items": [_present(notification) for notification in page.notifications],
        "next_before": page.next_before,
        "unread": selectors.notification_unread(user_id=request.agent.user_id),
    }


@agent_required
@require_GET
def bell_poll(request: AgentRequest) -> HttpResponse:
    """204 while the unread count and the newest notification are unchanged, else the bell."""
    unread = selectors.notification_unread(user_id=request.agent.user_id)
    if request.GET.get("stamp") == unread.stamp:
        return HttpResponse(status=204)
    return render(request, "inbox/partials/bell.html#bell", {"unread": unread})


@agent_required
@require_GET
def notification_list(request: AgentRequest) -> HttpResponse:
    """The whole page; an htmx request gets the bell's panel (or the next page of rows)."""
    context = _list_context(request)
    if request.htmx and request.GET.get("before"):
        return render(request, "inbox/notifications.html#rows", context)
    if request.htmx:
        return render(request, "inbox/notifications.html#panel", context)
    return render(request, "inbox/notifications.html", context)


@agent_required
@require_GET
def notification_open(request: AgentRequest, pk: int) -> HttpResponse:
    """Follow a notification: it is read, and the thread opens."""
    notification = get_scoped_or_404(
        Notification, request.workspace, pk=pk, recipient_id=request.agent.user_id
    )
    services.notification_mark_read(notification=notification, now=timezone.now())
    return redirect("inbox:thread", pk=notification.thread_id)


@agent_required
@require_POST
def notification_read(request: AgentRequest, pk: int) -> HttpResponse:
    notification = get_scoped_or_404(
        Notification, request.workspace, pk=pk, recipient_id=request.agent.user_id
    )
    services.notification_mark_read(notification=notification, now=timezone.now())
    return _after_change(request)


@agent_required
@require_POST
def notification_read_all(request: AgentRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user_id=request.agent.user_id, now=timezone.now())
    if not request.htmx:
        flash.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return _after_change(request)


def _after_change(request: AgentRequest) -> HttpResponse:
    """The panel again, with the bell swapped out of band; without JavaScript, the page."""
    if request.htmx:
        return render(request, "inbox/notifications.html#panel-with-bell", _list_context(request))
    return redirect("inbox:notifications")


@agent_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: AgentRequest) -> HttpResponse:
    """Each agent's own choice, per event: in the bell, by email, both or neither."""
    if request.method == "POST":
        choices = {
            kind: services.Channels(
                in_app=request.POST.get(f"{kind}-in_app") == "on",
                email=request.POST.get(f"{kind}-email") == "on",
            )
            for kind in Notification.Kind.values
        }
        services.notification_preferences_save(user_id=request.agent.user_id, choices=choices)
        flash.success(request, "Your notification settings are saved.")
        return redirect("inbox:notification_settings")
    saved = selectors.notification_preferences_get(user_id=request.agent.user_id)
    rows = [
        {"kind": kind, "label": label, "in_app": saved[kind][0], "email": saved[kind][1]}
        for kind, label in Notification.Kind.choices
    ]
    return render(
        request,
        "inbox/settings_notifications.html",
        {"rows": rows, "is_away": not request.agent.is_available},
    )
