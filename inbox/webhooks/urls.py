"""ESP webhooks under /anymail/<esp>/... (anymail checks basic auth and signatures).

Every inbound route of anymail is served by our adapted view (raw MIME kept, the inbound size
limit, SNS signatures for SES) behind a gate that answers only for the ESPs in INBOUND_ESPS and
only once a signing ESP's key is set (inbox.webhooks.gate). Mandrill's one route carries both
inbound and delivery events, so it is gated too. Every route checks its ESP's own secret when
it has one.
"""

from __future__ import annotations

from anymail import urls as anymail_urls
from anymail.signals import inbound
from anymail.webhooks.base import AnymailCoreWebhookView
from anymail.webhooks.mandrill import MandrillCombinedWebhookView
from django.urls import URLPattern, URLResolver

from inbox.webhooks.gate import EspSecretMixin, gated
from inbox.webhooks.views import INBOUND_VIEWS, wrap_inbound_view

app_name = anymail_urls.app_name


def _with_esp_secret(view_class: type[AnymailCoreWebhookView]) -> type[AnymailCoreWebhookView]:
    return type(f"Helpdesk{view_class.__name__}", (EspSecretMixin, view_class), {})


def _adapted(pattern: URLPattern | URLResolver) -> URLPattern | URLResolver:
    view_class = getattr(getattr(pattern, "callback", None), "view_class", None)
    if not isinstance(pattern, URLPattern) or view_class is None:
        return pattern
    if getattr(view_class, "signal", None) is inbound:
        adapted = INBOUND_VIEWS.get(view_class) or wrap_inbound_view(view_class)
        view = gated(adapted.as_view(), esp_name=adapted.esp_name)
    elif issubclass(view_class, MandrillCombinedWebhookView):
        view = gated(_with_esp_secret(view_class).as_view(), esp_name=view_class.esp_name)
    else:
        view = _with_esp_secret(view_class).as_view()
    return URLPattern(pattern.pattern, view, name=pattern.name)


urlpatterns = [_adapted(pattern) for pattern in anymail_urls.urlpatterns]
