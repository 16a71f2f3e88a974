"""Which ESPs may post to their inbound route, and with which secret.

docs/reliability.md, "One secret per ESP, and only the ESPs we use".

Without this, the one basic-auth secret opened every anymail route: a forged mail posted to the
SendGrid or Postmark route of an install that receives through Mailgun was routed into a
workspace. Now only the ESPs named in INBOUND_ESPS answer (any other route is a 404, before its
body is read); each may have its own secret (ANYMAIL_<ESP>_WEBHOOK_SECRET, else the shared
ANYMAIL_WEBHOOK_SECRET); and the ESPs that sign their posts (Mailgun, Mandrill, Amazon SES via
SNS) accept nothing until what checks the signature is configured.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from anymail.webhooks.base import AnymailCoreWebhookView
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt

from inbox.webhooks.allowlist import esp_key

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponseBase]


def _anymail_setting(name: str) -> object:
    anymail_settings: dict[str, object] = getattr(settings, "ANYMAIL", {})
    return anymail_settings.get(name)


# The setting each signing ESP's signature check needs, and whether it is set.
SIGNATURE_SETTINGS: dict[str, tuple[str, Callable[[], bool]]] = {
    "mailgun": (
        "MAILGUN_WEBHOOK_SIGNING_KEY",
        lambda: bool(_anymail_setting("MAILGUN_WEBHOOK_SIGNING_KEY")),
    ),
    "mandrill": (
        "ANYMAIL_MANDRILL_WEBHOOK_KEY",
        lambda: bool(_anymail_setting("MANDRILL_WEBHOOK_KEY")),
    ),
    "amazon_ses": (
        "AMAZON_SES_ALLOWED_TOPIC_ARNS",
        lambda: bool(settings.AMAZON_SES_ALLOWED_TOPIC_ARNS),
    ),
}


def is_esp_enabled(esp: str) -> bool:
    """Whether the operator named this ESP (anymail's name, "amazon_ses") in INBOUND_ESPS."""
    enabled = settings.INBOUND_ESPS
    return "*" in enabled or esp in enabled


def missing_signature_setting(esp: str) -> str | None:
    """The setting a signing ESP lacks to check its signature, or None."""
    requirement = SIGNATURE_SETTINGS.get(esp)
    if requirement is None:
        return None
    name, is_set = requirement
    return None if is_set() else name


def esp_webhook_secrets(esp: str) -> list[str]:
    """The "user:password" values that open this ESP's routes: its own when set, else the shared."""
    own = _anymail_setting(f"{esp.upper()}_WEBHOOK_SECRET")
    if isinstance(own, str):
        own = [value.strip() for value in own.split(",") if value.strip()]
    if own:
        return list(own)  # type: ignore[call-overload]  # a list of strings, set in settings
    shared = _anymail_setting("WEBHOOK_SECRET") or []
    return [shared] if isinstance(shared, str) else list(shared)  # type: ignore[call-overload]


def gated(view: View, *, esp_name: str) -> View:
    """`view` for an ESP's inbound route, answering only when the operator enabled that ESP.

    Checked before the view is built or the body read: anymail's Mailgun view raises while being
    built when its key is missing."""
    esp = esp_key(esp_name)

    @wraps(view)
    def gate(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_esp_enabled(esp):
            return HttpResponseNotFound("No inbound webhook here.")
        missing = missing_signature_setting(esp)
        if missing is not None:
            # The ESP retries a 503, so nothing is lost while the operator sets it.
            logger.error("Inbound %s post refused: %s is not set", esp_name, missing)
            return HttpResponse("This webhook is not configured.", status=503)
        return view(request, *args, **kwargs)

    return csrf_exempt(login_not_required(gate))


class EspSecretMixin(AnymailCoreWebhookView):
    """Basic auth against this ESP's own secret when it has one (the shared one otherwise)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.basic_auth = esp_webhook_secrets(esp_key(self.esp_name))
