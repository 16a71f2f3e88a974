"""Every page requires a login, except the ESP webhooks (they carry their own auth) and the
image proxy (its links are signed, and the sandboxed message frame sends no cookies)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponseBase

# Paths whose callers carry their own credentials (or a signed link), not a session.
LOGIN_EXEMPT_PATH_PREFIXES = ("/anymail/", "/static/", "/healthz", "/image-proxy/")


class LoginRequiredMiddleware(DjangoLoginRequired):
    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        if request.path.startswith(LOGIN_EXEMPT_PATH_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
