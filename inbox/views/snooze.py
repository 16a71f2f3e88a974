"""Snooze and unsnooze a thread from its page (inbox.services.snooze does the work).

Both are plain form posts that htmx enhances: the thread's header comes back out of band
(with the refusal's sentence, if any), or the browser is redirected to the thread.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from helpdesk.refusals import Refused
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import agent_required
from inbox import snooze_times
from inbox.models import Thread
from inbox.services import snooze as services
from inbox.views.threads import _back_to_thread, _load_thread, _thread_page, answers_on_thread


def agent_time_zone(request: AgentRequest) -> str:
    """The agent's own clock, else the workspace's."""
    return request.agent.time_zone or request.workspace.time_zone


@agent_required
@require_POST
@answers_on_thread
def thread_snooze(request: AgentRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    now, zone_name = timezone.now(), agent_time_zone(request)
    preset, picked = request.POST.get("preset", ""), request.POST.get("until", "")[:40]
    try:
        if preset:
            until = snooze_times.choice_until(preset, now=now, zone_name=zone_name)
        elif picked:
            until = snooze_times.parse_picked(picked, now=now, zone_name=zone_name)
        else:
            raise snooze_times.InvalidSnoozeTime("Choose when the conversation should come back.")
    except snooze_times.InvalidSnoozeTime as error:
        if request.htmx and not preset:
            return _picker_error(request, thread, sentence=str(error), picked=picked)
        raise Refused(str(error), field="until") from error
    services.thread_snooze(thread=thread, until=until, by=request.agent, now=now)
    when = snooze_times.describe(until, now=now, zone=snooze_times.zone_for(zone_name))
    flash.success(request, f"Snoozed until {when}: it comes back to the inbox then.")
    return _back_to_thread(request, pk)


def _picker_error(
    request: AgentRequest, thread: Thread, *, sentence: str, picked: str
) -> HttpResponse:
    """The header again, its menu open with the sentence under the picker (errors sit next to
    their field); a plain form post gets the sentence above the thread instead."""
    context = {**_thread_page(request, thread), "snooze_error": sentence, "snooze_picked": picked}
    return render(request, "inbox/thread.html#thread-meta-oob", context)


@agent_required
@require_POST
@answers_on_thread
def thread_unsnooze(request: AgentRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    services.thread_wake(thread=thread, reason=services.WOKE_UNSNOOZED, by=request.agent)
    flash.success(request, "Unsnoozed: the conversation is back in the inbox.")
    return _back_to_thread(request, pk)
