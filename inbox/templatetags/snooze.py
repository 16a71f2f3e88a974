"""`{% snooze_state thread agent as snooze %}`: what the thread's snooze menu and banner show.

Pure: the choices come from inbox.snooze_times on the agent's clock; no query.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import template
from django.utils import timezone

from helpdesk.models import Agent
from inbox import snooze_times
from inbox.models import Thread

register = template.Library()

WOKE_SENTENCES = {
    "ended": "Woke: the snooze ended.",
    "replied": "Woke: {name} replied.",
}


@dataclass(frozen=True)
class SnoozeState:
    can_snooze: bool
    is_snoozed: bool = False
    until_label: str = ""
    woke_label: str = ""
    zone_name: str = "UTC"
    picker_min: str = ""
    picker_max: str = ""
    choices: list[snooze_times.SnoozeChoice] = field(default_factory=list)


def woke_sentence(thread: Thread) -> str:
    sentence = WOKE_SENTENCES.get(thread.woke_reason, "")
    if "{name}" in sentence:
        contact = thread.contact
        name = (contact.name or contact.email) if contact is not None else "the contact"
        sentence = sentence.format(name=name)
    return sentence


@register.simple_tag
def snooze_state(thread: Thread, agent: Agent | None) -> SnoozeState:
    if agent is None:
        return SnoozeState(can_snooze=False)
    now = timezone.now()
    zone_name = agent.time_zone or agent.workspace.time_zone
    zone = snooze_times.zone_for(zone_name)
    until = thread.snoozed_until
    is_snoozed = until is not None and until > now
    picker_min, picker_max = snooze_times.picker_bounds(now, zone_name)
    return SnoozeState(
        can_snooze=(
            thread.kind == Thread.Kind.CONVERSATION
            and thread.status == Thread.Status.OPEN
            and not thread.is_spam
        ),
        is_snoozed=is_snoozed,
        until_label=snooze_times.describe(until, now=now, zone=zone)
        if is_snoozed and until
        else "",
        woke_label="" if is_snoozed else woke_sentence(thread),
        zone_name=zone.key,
        picker_min=picker_min,
        picker_max=picker_max,
        choices=snooze_times.snooze_choices(now, zone_name),
    )


@register.simple_tag
def snoozed_until_label(thread: Thread, agent: Agent | None) -> str:
    """When the snooze ends on the agent's clock ("Mon 09:00"), or "" when not snoozed."""
    now, until = timezone.now(), thread.snoozed_until
    if agent is None or until is None or until <= now:
        return ""
    zone = snooze_times.zone_for(agent.time_zone or agent.workspace.time_zone)
    return snooze_times.describe(until, now=now, zone=zone)
