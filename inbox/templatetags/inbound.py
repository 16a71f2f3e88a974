"""Words for how the inbound pipeline attributed a message."""

from __future__ import annotations

from django import template

register = template.Library()

VIA_LABELS = {
    "from_header": "the From header",
    "auto_forward": "the From header of an automatic forward",
    "gmail_forward": "a Gmail forward",
    "outlook_forward": "an Outlook forward",
    "apple_forward": "an Apple Mail forward",
    "thunderbird_forward": "a Thunderbird forward",
    "rfc822": "a forwarded attachment",
    "google_groups": "a Google Groups message",
    "forwarder_setting": "the channel setting (attribute to the forwarder)",
}


@register.filter
def via_label(value: str) -> str:
    return VIA_LABELS.get(value, value.replace("_", " "))
