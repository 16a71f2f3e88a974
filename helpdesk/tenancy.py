"""Tenancy: who is asking, which workspace they belong to, and querysets scoped to it.

Every view reaches tenant data through `scoped()` or `get_scoped_or_404()`, so an agent of
workspace A asking for an object of workspace B gets a 404, never the object.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from helpdesk.models import Agent, Workspace
from helpdesk.requests import AgentRequest

ModelT = TypeVar("ModelT", bound=models.Model)

# How a model reaches its workspace when it has no `workspace` field of its own.
TENANT_PATHS: dict[str, str] = {
    "inbox.Attachment": "message__workspace",
    "inbox.Ticket": "thread__workspace",
    "inbox.ThreadReadState": "thread__workspace",
    "channels_cfg.ForwardingAddress": "channel__workspace",
    "channels_cfg.FromAddressVerification": "channel__workspace",
    "channels_cfg.ForwardingConfirmation": "channel__workspace",
    "channels_cfg.SignatureImage": "channel__workspace",
    "helpdesk.Workspace": "pk",
}


def tenant_path(model: type[models.Model]) -> str:
    label = model._meta.label
    if label in TENANT_PATHS:
        return TENANT_PATHS[label]
    field_names = {field.name for field in model._meta.get_fields()}
    if "workspace" not in field_names:
        raise TypeError(f"{label} has no workspace; add its path to TENANT_PATHS")
    return "workspace"


def scoped(
    model_or_queryset: type[ModelT] | models.QuerySet[ModelT], workspace: Workspace
) -> models.QuerySet[ModelT]:
    """The objects of this model (or queryset) that belong to the workspace."""
    if isinstance(model_or_queryset, models.QuerySet):
        queryset = model_or_queryset
    else:
        queryset = model_or_queryset._default_manager.all()
    path = tenant_path(queryset.model)
    return queryset.filter(**{path: workspace.pk})


def get_scoped_or_404(
    model_or_queryset: type[ModelT] | models.QuerySet[ModelT],
    workspace: Workspace,
    **lookups: Any,
) -> ModelT:
    try:
        return scoped(model_or_queryset, workspace).get(**lookups)
    except (models.ObjectDoesNotExist, ValueError, TypeError) as error:
        raise Http404("Not found") from error


def agent_of(request: HttpRequest) -> Agent:
    """The signed-in person's agent profile; a login without one may see nothing."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    try:
        return user.agent
    except Agent.DoesNotExist as error:
        raise PermissionDenied("Your login is not a member of any workspace.") from error


ViewFunc = Callable[..., HttpResponseBase]


def _as_agent_request(request: HttpRequest, agent: Agent) -> AgentRequest:
    typed = cast(AgentRequest, request)
    typed.agent = agent
    typed.workspace = agent.workspace
    return typed


def agent_required(view: ViewFunc) -> ViewFunc:
    """Sets request.agent and request.workspace; 403 for a login that is no workspace member."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return view(_as_agent_request(request, agent_of(request)), *args, **kwargs)

    return wrapper


def admin_required(view: ViewFunc) -> ViewFunc:
    """Like agent_required, and 403 unless the agent is a workspace admin."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        agent = agent_of(request)
        if not agent.is_admin:
            raise PermissionDenied("Only workspace admins can do this.")
        return view(_as_agent_request(request, agent), *args, **kwargs)

    return wrapper
