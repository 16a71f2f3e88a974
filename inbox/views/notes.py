"""Internal notes: write, edit (15 minutes, the author), delete (the author or an admin), their
files, the @mention typeahead, and the timeline's share of the thread page and its live poll.

Thin adapters over inbox.services.notes and inbox.selectors.timeline. Every URL reaches its
note or thread through the agent's workspace, so another workspace's ids answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from helpdesk.models import Agent, Team
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import agent_required, get_scoped_or_404
from inbox.models import Note, NoteAttachment, Thread
from inbox.selectors import threads as thread_selectors
from inbox.selectors.timeline import TimelineData, thread_notes, timeline_get, timeline_has_news
from inbox.services import notes as services
from inbox.timeline import last_ids, present_note, timeline_entries
from inbox.views.attachments import download_response
from inbox.views.refusals import answers_refusals

MENTION_SUGGESTIONS = 8


def _thread(request: AgentRequest, pk: int) -> Thread:
    thread = thread_selectors.thread_get(workspace=request.workspace, pk=pk)
    # Forwarding confirmations are the admins' (as on the thread page).
    if thread is None or (
        thread.kind == Thread.Kind.FORWARDING_CONFIRMATION and not request.agent.is_admin
    ):
        raise Http404("Not found")
    return thread


def _note(request: AgentRequest, pk: int) -> Note:
    note = get_scoped_or_404(Note.objects.select_related("thread"), request.workspace, pk=pk)
    _thread(request, note.thread_id)
    return note


def _ids(request: AgentRequest, name: str) -> list[int]:
    return [int(value) for value in request.POST.getlist(name) if value.isdigit()][:50]


# The thread page and its live poll ---------------------------------------------------------


def page_context(request: AgentRequest, thread: Thread, context: dict[str, Any]) -> dict[str, Any]:
    """The thread page's timeline (messages, notes, events) from what the page loaded."""
    data = timeline_get(
        workspace=request.workspace,
        thread=thread,
        agents=context.get("agents"),
        teams=context.get("teams"),
    )
    return {
        "timeline": timeline_entries(
            context.get("message_views", []), data, agent=request.agent, now=timezone.now()
        ),
        **last_ids(data),
    }


@dataclass(frozen=True)
class PollNews:
    """Where the poller stands in the notes and events, and whether any are newer."""

    note_after: int | None
    event_after: int | None
    has_news: bool


def _position(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def poll_news(request: AgentRequest, thread: Thread) -> PollNews:
    """One query: did notes or events arrive since the poller's position? (A poller without
    a position, from a page older than notes, never gets them.)"""
    note_after = _position(request.GET.get("notes_after", ""))
    event_after = _position(request.GET.get("events_after", ""))
    if note_after is None or event_after is None:
        return PollNews(note_after=None, event_after=None, has_news=False)
    news = timeline_has_news(thread=thread, note_after=note_after, event_after=event_after)
    return PollNews(note_after=note_after, event_after=event_after, has_news=news)


def poll_context(
    request: AgentRequest, thread: Thread, news: PollNews, message_views: object
) -> dict[str, Any]:
    """The new timeline entries after the poller's position, and its next position.
    `message_views` are the poll's new messages as presented (a list; the view's context
    holds it untyped)."""
    views = message_views if isinstance(message_views, list) else []
    if news.note_after is None or news.event_after is None:
        return {}
    if not news.has_news:
        data = TimelineData(notes=[], events=[], agent_names={}, team_names={}, contact_emails={})
    else:
        data = timeline_get(
            workspace=request.workspace,
            thread=thread,
            note_after=news.note_after,
            event_after=news.event_after,
        )
    entries = timeline_entries(views, data, agent=request.agent, now=timezone.now())
    return {
        "new_timeline": entries,
        **last_ids(data, note_after=news.note_after, event_after=news.event_after),
    }


# Notes ---------------------------------------------------------------------------------------


def _thread_url(request: AgentRequest, pk: int) -> str:
    return reverse("inbox:thread", kwargs={"pk": pk})


def _note_form_error(request: AgentRequest, pk: int) -> HttpResponse:
    return render(request, "inbox/partials/note_form.html#note-error", {"show_refusal": True})


@agent_required
@require_POST
@answers_refusals(redirect_to=_thread_url, partial=_note_form_error)
def note_create(request: AgentRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    note = services.note_create(
        thread=thread,
        author=request.agent,
        body=request.POST.get("body", ""),
        mention_user_ids=_ids(request, "mention_user"),
        mention_team_ids=_ids(request, "mention_team"),
        files=request.FILES.getlist("attachments"),
    )
    if request.htmx:
        # The thread's poller fetches the note at once (it is the one place notes are added).
        response = render(request, "inbox/partials/note_form.html#note-error", {})
        return trigger_client_event(response, "note-saved")
    return redirect(f"{_thread_url(request, pk)}#note-{note.pk}")


def _render_note(request: AgentRequest, note: Note) -> HttpResponse:
    [loaded] = thread_notes(thread=note.thread, ids=[note.pk])
    view = present_note(loaded, agent=request.agent, now=timezone.now())
    return render(request, "inbox/partials/note.html", {"entry": view, "thread": note.thread})


def _note_thread_url(request: AgentRequest, pk: int) -> str:
    note = _note(request, pk)
    return f"{_thread_url(request, note.thread_id)}#note-{note.pk}"


def _edit_error(request: AgentRequest, pk: int) -> HttpResponse:
    return _render_edit(request, _note(request, pk), show_refusal=True)


def _render_edit(request: AgentRequest, note: Note, *, show_refusal: bool = False) -> HttpResponse:
    [loaded] = thread_notes(thread=note.thread, ids=[note.pk])
    view = present_note(loaded, agent=request.agent, now=timezone.now())
    context = {
        "entry": view,
        "thread": note.thread,
        "mentions": loaded.mention_list,  # type: ignore[attr-defined]
        "show_refusal": show_refusal,
    }
    template = "inbox/partials/note_edit.html"
    return render(request, f"{template}#edit-form" if request.htmx else template, context)


def _delete_error(request: AgentRequest, pk: int) -> HttpResponse:
    return _render_note(request, _note(request, pk))


@agent_required
@require_GET
def note_detail(request: AgentRequest, pk: int) -> HttpResponse:
    """One note (what "Cancel" on the edit form swaps back in)."""
    note = _note(request, pk)
    if not request.htmx:
        return redirect(_note_thread_url(request, pk))
    return _render_note(request, note)


@agent_required
@require_http_methods(["GET", "POST"])
@answers_refusals(redirect_to=_note_thread_url, partial=_edit_error)
def note_edit(request: AgentRequest, pk: int) -> HttpResponse:
    note = _note(request, pk)
    if request.method == "GET":
        if not services.is_editable(note, user_id=request.agent.user_id, now=timezone.now()):
            raise Http404("Not found")
        return _render_edit(request, note)
    services.note_edit(
        note=note,
        by=request.agent,
        body=request.POST.get("body", ""),
        mention_user_ids=_ids(request, "mention_user"),
        mention_team_ids=_ids(request, "mention_team"),
    )
    if request.htmx:
        return _render_note(request, note)
    return redirect(_note_thread_url(request, pk))


@agent_required
@require_POST
@answers_refusals(redirect_to=_note_thread_url, partial=_delete_error)
def note_delete(request: AgentRequest, pk: int) -> HttpResponse:
    note = _note(request, pk)
    thread_id = note.thread_id
    services.note_delete(note=note, by=request.agent)
    if request.htmx:
        # Empty: htmx swaps the note out of the timeline.
        return HttpResponse("")
    return redirect(_thread_url(request, thread_id))


@agent_required
@require_GET
def note_attachment(request: AgentRequest, pk: int, attachment_pk: int) -> FileResponse:
    """A note's file: always a download, never rendered in our origin (as mail attachments)."""
    note = _note(request, pk)
    attachment = _note_file(note, attachment_pk)
    return download_response(attachment.file, attachment.filename)


def _note_file(note: Note, pk: int) -> NoteAttachment:
    attachment = NoteAttachment.objects.filter(note_id=note.pk, pk=pk).first()
    if attachment is None:
        raise Http404("Not found")
    return attachment


# The @mention typeahead ----------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "user" or "team"
    pk: int
    label: str
    detail: str


def _suggestions(request: AgentRequest, query: str) -> list[Suggestion]:
    workspace_id = request.workspace.pk
    agents = (
        Agent.objects.filter(workspace_id=workspace_id)
        .filter(
            Q(user__first_name__istartswith=query)
            | Q(user__last_name__istartswith=query)
            | Q(user__username__istartswith=query)
        )
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")[:MENTION_SUGGESTIONS]
    )
    teams = Team.objects.filter(workspace_id=workspace_id, name__istartswith=query).order_by(
        "name"
    )[:MENTION_SUGGESTIONS]
    found = [Suggestion("user", agent.user_id, agent.full_name, "agent") for agent in agents]
    found += [Suggestion("team", team.pk, team.name, "team") for team in teams]
    return found[:MENTION_SUGGESTIONS]


@agent_required
@require_GET
def mention_suggestions(request: AgentRequest) -> HttpResponse:
    """The options for "@<q>": the workspace's agents and teams whose name starts with q."""
    query = request.GET.get("q", "").strip()[:60]
    return render(
        request,
        "inbox/partials/note_mentions.html",
        {"suggestions": _suggestions(request, query), "query": query},
    )
