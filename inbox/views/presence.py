"""The thread page's heartbeat: who else is viewing it, replying or writing a note."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from helpdesk.requests import AgentRequest
from helpdesk.tenancy import agent_required, scoped
from inbox import presence
from inbox.models import Thread
from inbox.selectors.collisions import thread_arrivals_since


def _check_thread(request: AgentRequest, pk: int) -> None:
    """One indexed query: the thread exists in the agent's workspace and they may see it."""
    kind = scoped(Thread, request.workspace).filter(pk=pk).values_list("kind", flat=True).first()
    if kind is None or (kind == Thread.Kind.FORWARDING_CONFIRMATION and not request.agent.is_admin):
        raise Http404("Not found")


@agent_required
@require_POST
def presence_heartbeat(request: AgentRequest, pk: int) -> HttpResponse:
    """Record that the agent is on the thread (`state`: viewing, replying, noting) and answer
    who else is; 204 while that is what the page already shows (`stamp`)."""
    _check_thread(request, pk)
    if request.POST.get("state") == "left":
        presence.presence_leave(
            workspace_id=request.workspace.pk, thread_id=pk, user_id=request.agent.user_id
        )
        return HttpResponse(status=204)
    others = presence.presence_beat(
        workspace_id=request.workspace.pk,
        thread_id=pk,
        user_id=request.agent.user_id,
        name=request.agent.first_name,
        state=request.POST.get("state", "viewing"),
        now=timezone.now(),
    )
    stamp = presence.presence_stamp(others)
    if request.POST.get("stamp") == stamp:
        return HttpResponse(status=204)
    return render(
        request,
        "inbox/partials/presence.html",
        {"others": others, "stamp": stamp, "thread_pk": pk},
    )


def reply_held(request: AgentRequest, thread: Thread) -> HttpResponse | None:
    """The collision guard on a reply: when the customer or another agent wrote since the
    composer opened (its `version`), nothing is stored or sent and the agent sees what arrived,
    with Send anyway and Review. None: the reply may go."""
    version = request.POST.get("version", "")
    if not version.isdigit() or request.POST.get("collision") == "send":
        return None
    arrived = thread_arrivals_since(
        thread=thread, version=int(version), user_id=request.agent.user_id
    )
    if not arrived:
        return None
    context = {"thread": thread, "arrived": arrived, "latest": arrived[-1].pk}
    if request.htmx:
        return render(request, "inbox/partials/collision.html", context)
    draft = {
        "body": request.POST.get("body", ""),
        "body_html": request.POST.get("body_html", ""),
        "cc": request.POST.get("cc", "")[:4000],
        "had_files": bool(request.FILES),
    }
    return render(
        request, "inbox/notifications_collision.html", {**context, "draft": draft}, status=409
    )
