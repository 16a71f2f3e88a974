"""ESP webhooks under /anymail/<esp>/inbound/ (anymail checks basic auth and signatures).

Every inbound route of anymail is served by our adapted view (raw MIME kept, the inbound size
limit, SNS signatures for SES); anymail's tracking routes stay as they are.
"""

from __future__ import annotations

from anymail import urls as anymail_urls
from anymail.signals import inbound
from django.urls import URLPattern, URLResolver

from inbox.webhooks.views import INBOUND_VIEWS, wrap_inbound_view

app_name = anymail_urls.app_name


def _adapted(pattern: URLPattern | URLResolver) -> URLPattern | URLResolver:
    view_class = getattr(getattr(pattern, "callback", None), "view_class", None)
    if not isinstance(pattern, URLPattern) or view_class is None:
        return pattern
    if getattr(view_class, "signal", None) is not inbound:
        return pattern
    adapted = INBOUND_VIEWS.get(view_class) or wrap_inbound_view(view_class)
    return URLPattern(pattern.pattern, adapted.as_view(), name=pattern.name)


urlpatterns = [_adapted(pattern) for pattern in anymail_urls.urlpatterns]
