"""Login throttling (django-axes): who is counted, who is exempt, and what a locked person sees.

Failures are counted per username and client address together, so one attacker locks only the
pairs they tried, never a colleague or the same person elsewhere (docs/reliability.md, "Guessing
passwords"). Attempts are stored in the database, shared by every web process.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class LoginThrottleBackend(AxesStandaloneBackend):
    """axes' gate for web logins; authenticate() without a request (the test client's login(),
    management code) is no guess from the web and is left to the next backend."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """The socket's address, or behind a proxy the header it sets (LOGIN_CLIENT_IP_HEADER)."""
    header = settings.LOGIN_CLIENT_IP_HEADER
    if header:
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        return value.split(",")[0].strip() or request.META.get("REMOTE_ADDR")
    return request.META.get("REMOTE_ADDR")


def lockout_message() -> str:
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    later = f"in {minutes} minutes" if minutes else "later"
    return (
        "Too many failed logins for this account from your network. "
        f"Try again {later}, or ask whoever runs this helpdesk to unlock it."
    )


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The login page again, saying why it refused, with 429 Too Many Requests."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "lockout_message": lockout_message(),
        "next": request.POST.get("next", request.GET.get("next", "")),
    }
    return render(request, "registration/login.html", context, status=429)
