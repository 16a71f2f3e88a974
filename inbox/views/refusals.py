"""The one place a view's refused action is answered, so no view has its own try/except."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpResponse
from django.http.response import HttpResponseBase

from helpdesk.refusals import Refused, refusal_response
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import ViewFunc


def answers_refusals(
    *,
    redirect_to: Callable[..., str],
    partial: Callable[..., HttpResponse] | None = None,
) -> Callable[[ViewFunc], ViewFunc]:
    """A view that raises Refused answers with `refusal_response`: the sentence as a message,
    then `partial(request, **url_kwargs)` for htmx or a redirect to
    `redirect_to(request, **url_kwargs)`. Goes inside `agent_required`/`admin_required`."""

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: AgentRequest, **kwargs: Any) -> HttpResponseBase:
            try:
                return view(request, **kwargs)
            except Refused as error:
                return refusal_response(
                    request,
                    error,
                    redirect_to=redirect_to(request, **kwargs),
                    partial=(lambda: partial(request, **kwargs)) if partial else None,
                )

        return wrapper

    return decorate
