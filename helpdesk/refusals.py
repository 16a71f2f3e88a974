"""Expected refusals: one error type for "you may not do that, and here is why", shown to the
person who asked, never logged as a fault (HackSoft's ApplicationError)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect

from helpdesk.requests import HtmxRequest


class Refused(Exception):
    """A service refused an action; `str(error)` is the sentence shown. `field` names the form
    field the sentence belongs to, when it belongs to one."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


def refusal_response(
    request: HtmxRequest,
    error: Refused,
    *,
    redirect_to: str,
    partial: Callable[[], HttpResponse] | None = None,
) -> HttpResponse:
    """The one way a refusal is answered: the sentence as a message, then the partial an htmx
    request swaps in (answered 200, so htmx swaps it) or a redirect for a plain form post."""
    messages.error(request, str(error))
    if request.htmx and partial is not None:
        response = partial()
        response.status_code = 200
        return response
    return redirect(redirect_to)
