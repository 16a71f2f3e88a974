"""Optional per-ESP allow-lists of client networks for the inbound webhooks (docs/reliability.md,
"SendGrid and networks we allow").

SendGrid signs no inbound post; basic auth over TLS is its only credential. An ESP that
publishes the addresses it posts from can be held to them: INBOUND_ALLOWED_NETWORKS_<ESP> (for
example INBOUND_ALLOWED_NETWORKS_SENDGRID="198.51.100.0/24, 203.0.113.7"). Behind a proxy, the
client address is read from INBOUND_CLIENT_IP_HEADER (for example X-Real-IP), which that proxy
must set and overwrite.
"""

from __future__ import annotations

import ipaddress
import re

from django.conf import settings
from django.http import HttpRequest


def esp_key(esp_name: str) -> str:
    """anymail's display name as the variables spell it: "Amazon SES" -> "amazon_ses"."""
    return re.sub(r"\W+", "_", esp_name.strip().lower())


def client_allowed(request: HttpRequest, esp_name: str) -> bool:
    networks = settings.INBOUND_ALLOWED_NETWORKS.get(esp_key(esp_name))
    if not networks:
        return True
    header = settings.INBOUND_CLIENT_IP_HEADER
    raw = (
        request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        if header
        else request.META.get("REMOTE_ADDR", "")
    )
    try:
        address = ipaddress.ip_address(raw.split(",")[0].strip())
    except ValueError:
        return False
    return any(address in network for network in networks)
