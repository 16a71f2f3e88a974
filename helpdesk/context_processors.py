from __future__ import annotations

from django.http import HttpRequest

from helpdesk.models import Agent


def workspace(request: HttpRequest) -> dict[str, object]:
    """The signed-in agent and their workspace, for the layout's header and navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        agent = user.agent
    except Agent.DoesNotExist:
        return {"current_agent": None, "current_workspace": None}
    return {"current_agent": agent, "current_workspace": agent.workspace}
