"""Typed requests, so views read `request.agent` and `request.htmx` without a `type: ignore`
(as django-htmx's `HtmxHttpRequest`)."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from helpdesk.models import Agent, Workspace


class HtmxRequest(HttpRequest):
    """Any request once HtmxMiddleware ran."""

    htmx: HtmxDetails


class AgentRequest(HtmxRequest):
    """A request of a signed-in workspace member (set by `agent_required`/`admin_required`)."""

    agent: Agent
    workspace: Workspace
