"""The agents' inbox: thin adapters over inbox.selectors.threads and inbox.services.*.

A page renders its whole template; an htmx request gets a named partial of the same template.
Every POST also works as a plain form post (redirect back to the thread).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from csp.constants import NONCE
from csp.decorators import csp_update
from django.contrib import messages as flash
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from helpdesk.models import Agent, Team
from helpdesk.requests import AgentRequest
from helpdesk.tenancy import admin_required, agent_required, get_scoped_or_404
from inbox.models import Contact, Message, Thread
from inbox.presenters import image_viewer, present_message, present_thread_page
from inbox.rendering import page_policy_for_message_frames
from inbox.selectors import threads as selectors
from inbox.selectors.saved_replies import saved_reply_files
from inbox.selectors.tags import tag_list_with_counts, threads_with_tags
from inbox.services import outbound, senders
from inbox.services import threads as services
from inbox.views import notes as timeline_views
from inbox.views import presence
from inbox.views.refusals import answers_refusals


def _filters(request: AgentRequest) -> selectors.ListFilters:
    channel = request.GET.get("channel", "")
    return selectors.ListFilters(
        view=request.GET.get("view", selectors.DEFAULT_VIEW),
        query=request.GET.get("q", "").strip()[:200],
        channel_id=int(channel) if channel.isdigit() else None,
        assignee=request.GET.get("assignee", "")[:20],
        tag_id=int(tag) if (tag := request.GET.get("tag", "")).isdigit() else None,
        cursor=request.GET.get("cursor", "")[:200],
        until=request.GET.get("until", "")[:200],
    )


def _list_context(request: AgentRequest, *, with_rows: bool = True) -> dict[str, Any]:
    workspace, agent = request.workspace, request.agent
    filters = _filters(request)
    stamp = selectors.inbox_stamp(workspace=workspace)
    page = (
        selectors.thread_list(workspace=workspace, agent=agent, filters=filters)
        if with_rows
        else selectors.ThreadPage(threads=[], filters=filters)
    )
    counts = selectors.thread_counts(workspace=workspace, agent=agent, stamp=stamp)
    threads_with_tags(page.threads)
    current = request.GET.get("current", "")
    extra: dict[str, str | int] = {"current": current} if current.isdigit() else {}
    if filters.until:
        extra["until"] = filters.until
    return {
        "current_thread_id": int(current) if current.isdigit() else None,
        "page": page,
        "filters": filters,
        "views": [
            (view, selectors.count_label(counts.get(view.slug, 0)))
            for view in selectors.views_for(agent)
        ],
        "stamp": stamp,
        # An empty "All open" reads differently once the workspace has closed conversations.
        "has_closed": counts.get("closed", 0) > 0,
        "list_query": urlencode(filters.as_params()),
        "poll_query": urlencode(filters.as_params(stamp=stamp, **extra)),
        "next_query": urlencode(filters.as_params(cursor=page.next_cursor)),
        "agents": selectors.workspace_agents(workspace=workspace),
        "tag_counts": tag_list_with_counts(workspace=workspace),
        "channels": list(
            workspace.channels.order_by("name", "id").only("id", "name", "company_name")
        ),
    }


@agent_required
@require_GET
def inbox_index(request: AgentRequest) -> HttpResponse:
    context = _list_context(request)
    if request.htmx and request.GET.get("cursor"):
        # Older rows go below the list; the live poller from now on refreshes every row down to
        # the last one shown (without a stamp, so its first round catches up on what arrived).
        if context["page"].threads:
            extra = {"current": context["current_thread_id"] or ""}
            until = selectors.encode_cursor(context["page"].threads[-1])
            context["poll_query"] = urlencode(context["filters"].as_params(until=until, **extra))
        return render(request, "inbox/index.html#more-rows", context)
    if request.htmx and request.htmx.target == "thread-list":
        return render(request, "inbox/index.html#thread-list", context)
    return render(request, "inbox/index.html", context)


@agent_required
@require_GET
def inbox_poll(request: AgentRequest) -> HttpResponse:
    """204 while nothing changed (htmx leaves the page alone), else the fresh first page."""
    stamp = request.GET.get("stamp", "")
    if stamp.isdigit() and int(stamp) == selectors.inbox_stamp(workspace=request.workspace):
        return HttpResponse(status=204)
    return render(request, "inbox/index.html#thread-list-refresh", _list_context(request))


def _availability_partial(request: AgentRequest) -> HttpResponse:
    return render(request, "inbox/index.html#availability", {"current_agent": request.agent})


def _next_page(request: AgentRequest) -> str:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return reverse("inbox:index")
    return target


@agent_required
@require_POST
@answers_refusals(redirect_to=_next_page, partial=_availability_partial)
def availability(request: AgentRequest) -> HttpResponse:
    services.agent_set_availability(
        agent=request.agent, availability=request.POST.get("availability", "")
    )
    if request.htmx:
        return _availability_partial(request)
    return redirect(_next_page(request))


def _load_thread(request: AgentRequest, pk: int) -> Thread:
    thread = selectors.thread_get(workspace=request.workspace, pk=pk)
    if thread is None:
        raise Http404("Not found")
    # Forwarding confirmations carry a mailbox's confirmation code: admins only, like their view.
    if thread.kind == Thread.Kind.FORWARDING_CONFIRMATION and not request.agent.is_admin:
        raise Http404("Not found")
    return thread


def _origin(request: AgentRequest) -> str:
    """Our origin as the browser sees it: the message frame's CSP allows images from it alone."""
    return f"{request.scheme}://{request.get_host()}"


def _thread_page(request: AgentRequest, thread: Thread) -> dict[str, Any]:
    return present_thread_page(
        selectors.thread_page_get(workspace=request.workspace, thread=thread),
        agent=request.agent,
        shown_images=request.GET.get("images", ""),
        image_origin=_origin(request),
    )


View = TypeVar("View", bound=Callable[..., HttpResponse])


def _allows_message_frames(view: View) -> View:
    """The page's Content-Security-Policy also allows what its message frames need
    (inbox/rendering.py); django-csp types its decorators for views taking a request only."""
    policy = page_policy_for_message_frames()
    # The composer's editor (Trix) adds its default rules as <style> elements carrying the
    # page's nonce (templates/inbox/partials/composer_editor_head.html); a response that never
    # read the nonce gets none.
    policy["style-src-elem"] = [*policy["style-src-elem"], cast(str, NONCE)]
    return cast(View, csp_update(policy)(cast(Any, view)))


@agent_required
@require_GET
@_allows_message_frames
def thread_detail(request: AgentRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    if thread.merged_into_id is not None:
        # Merged into another conversation (inbox.services.merge): its page is that one now.
        return redirect("inbox:thread", pk=thread.merged_into_id)
    context = {**_list_context(request, with_rows=False), **_thread_page(request, thread)}
    # Notes and events interleaved with the messages (inbox.views.notes).
    context.update(timeline_views.page_context(request, thread, context))
    services.thread_mark_read(thread=thread, user_id=request.agent.user_id, at=timezone.now())
    return render(request, "inbox/thread.html", context)


@agent_required
@require_GET
def thread_poll(request: AgentRequest, pk: int) -> HttpResponse:
    """New messages after `after` (appended under the thread), or 204 when there are none."""
    thread = _load_thread(request, pk)
    if thread.merged_into_id is not None:
        # Merged away while open in this tab: go to the conversation it is part of now.
        return _redirect(request, reverse("inbox:thread", kwargs={"pk": thread.merged_into_id}))
    after = request.GET.get("after", "0")
    after_id = int(after) if after.isdigit() else 0
    new = selectors.thread_messages(thread=thread, after_id=after_id)
    news = timeline_views.poll_news(request, thread)  # new notes or events: one query
    if not new and not news.has_news:
        return HttpResponse(status=204)
    services.thread_mark_read(thread=thread, user_id=request.agent.user_id, at=timezone.now())
    # A new bounce changes the reply it reports on: that reply is re-rendered in place.
    bounced_ids = {
        m.bounce_of_id for m in new if m.bounce_of_id and m.bounce_of_id <= int(after or 0)
    }
    bounced = selectors.thread_messages(thread=thread, ids=list(bounced_ids)) if bounced_ids else []
    context = {
        "thread": thread,
        "message_views": [present_message(message) for message in new],
        "changed_views": [present_message(message) for message in bounced],
        "last_message_id": max((message.pk for message in new), default=after_id),
    }
    context.update(timeline_views.poll_context(request, thread, news, context["message_views"]))
    return render(request, "inbox/thread.html#new-messages", context)


@agent_required
@require_GET
@_allows_message_frames
def message_fragment(request: AgentRequest, pk: int, message_pk: int) -> HttpResponse:
    """One message again: its delivery state while sending, or with images shown."""
    thread = _load_thread(request, pk)
    message = get_scoped_or_404(
        Message.objects.prefetch_related("attachments", "bounces").select_related("sent_by"),
        request.workspace,
        pk=message_pk,
        thread_id=thread.pk,
    )
    view = present_message(
        message,
        show_images=request.GET.get("images") == "1",
        image_origin=_origin(request),
        viewer=image_viewer(request.agent),
    )
    return render(request, "inbox/thread.html#message", {"thread": thread, "view": view})


def _thread_url(request: AgentRequest, pk: int, **kwargs: Any) -> str:
    return reverse("inbox:thread", kwargs={"pk": pk})


def _thread_meta(request: AgentRequest, pk: int, **kwargs: Any) -> HttpResponse:
    """The thread's header and side panels, fresh, swapped in out of band (with any flash)."""
    context = _thread_page(request, _load_thread(request, pk))
    return render(request, "inbox/thread.html#thread-meta-oob", context)


# Thread actions: a refusal shows its sentence above the thread, whichever way it was posted.
answers_on_thread = answers_refusals(redirect_to=_thread_url, partial=_thread_meta)


def _back_to_thread(request: AgentRequest, pk: int) -> HttpResponse:
    if request.htmx:
        return _thread_meta(request, pk)
    return redirect("inbox:thread", pk=pk)


def _agent_from_post(request: AgentRequest, name: str) -> Agent | None:
    value = request.POST.get(name, "")
    if value in ("", "none"):
        return None
    if value == "me":
        return request.agent
    return get_scoped_or_404(Agent, request.workspace, user_id=value)


@agent_required
@require_POST
@answers_on_thread
def thread_assign(request: AgentRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    team_id = request.POST.get("team", "")
    team = get_scoped_or_404(Team, request.workspace, pk=team_id) if team_id else None
    services.thread_assign(
        thread=thread, assignee=_agent_from_post(request, "assignee"), team=team, by=request.agent
    )
    return _back_to_thread(request, pk)


@agent_required
@require_POST
@answers_on_thread
def thread_status(request: AgentRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    services.thread_set_status(
        thread=thread, status=request.POST.get("status", ""), by=request.agent
    )
    return _back_to_thread(request, pk)


def _redirect(request: AgentRequest, url: str) -> HttpResponse:
    """Leave the page: htmx is told to load `url` (204: there is nothing to swap)."""
    if request.htmx:
        return HttpResponseClientRedirect(url, status=204)
    return redirect(url)


@agent_required
@require_POST
@answers_on_thread
def thread_spam(request: AgentRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    services.thread_mark_spam(thread=thread, by=request.agent)
    flash.success(request, "Marked as spam: the sender is blocked and the thread left the inbox.")
    return _redirect(request, reverse("inbox:index"))


@admin_required
@require_POST
def thread_not_spam(request: AgentRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    still_blocked = services.thread_not_spam(thread=thread, by=request.agent)
    note = "Not spam: the thread is back in the inbox"
    if thread.contact is not None:
        note += f" and mail from {thread.contact.email} is accepted again"
    if still_blocked:
        note += f" (except that {', '.join(still_blocked)} is still blocked as a whole domain)"
    flash.success(request, note + ".")
    return _redirect(request, reverse("inbox:thread", kwargs={"pk": thread.pk}))


@admin_required
@require_POST
@answers_on_thread
def thread_block_sender(request: AgentRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    value = request.POST.get("value", "") or (thread.contact.email if thread.contact else "")
    blocked = senders.sender_block(workspace_id=thread.workspace_id, value=value, by=request.agent)
    flash.success(request, f"Mail from {blocked.value} will be refused from now on.")
    return _back_to_thread(request, pk)


@agent_required
@require_POST
@answers_on_thread
def thread_change_contact(request: AgentRequest, pk: int) -> HttpResponse:
    services.thread_change_contact(
        thread=_load_thread(request, pk),
        email=request.POST.get("email", ""),
        name=request.POST.get("name", ""),
        by=request.agent,
    )
    return _back_to_thread(request, pk)


@agent_required
@require_POST
@answers_on_thread
def contact_owner(request: AgentRequest, pk: int, contact_pk: int) -> HttpResponse:
    _load_thread(request, pk)
    contact = get_scoped_or_404(Contact, request.workspace, pk=contact_pk)
    services.contact_set_owner(contact=contact, owner=_agent_from_post(request, "owner"))
    return _back_to_thread(request, pk)


@agent_required
@require_POST
@answers_on_thread
def ticket_edit(request: AgentRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    changes = {name: request.POST[name] for name in services.TICKET_FIELDS if name in request.POST}
    services.ticket_update(
        thread=thread,
        changes=changes,
        owner=_agent_from_post(request, "owner"),
        by=request.agent,
    )
    return _back_to_thread(request, pk)


def _composer_error(request: AgentRequest, pk: int, **kwargs: Any) -> HttpResponse:
    """The sentence beside the composer (read from the flash, so it is not shown twice)."""
    return render(request, "inbox/thread.html#composer-error", {"show_refusal": True})


@agent_required
@require_POST
@answers_refusals(redirect_to=_thread_url, partial=_composer_error)
def thread_reply(request: AgentRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    held = presence.reply_held(request, thread)  # the collision guard: nothing stored or sent
    if held is not None:
        return held
    outbound.reply_create(
        thread=thread,
        agent=request.agent,
        body_html=request.POST.get("body_html", ""),
        body_text=request.POST.get("body", ""),
        cc=request.POST.get("cc", "")[:4000],
        files=[
            *request.FILES.getlist("attachments"),
            # The files of the saved replies inserted into it (static/js/saved_replies.js).
            *saved_reply_files(
                agent=request.agent, ids=request.POST.getlist("saved_reply_attachment")
            ),
        ],
    )
    if request.htmx:
        # The thread poller fetches the new message at once; the composer clears itself.
        response = render(request, "inbox/thread.html#composer-error")
        return trigger_client_event(response, "inbox-sent")
    return redirect("inbox:thread", pk=pk)


@agent_required
@require_POST
def message_retry(request: AgentRequest, pk: int) -> HttpResponse:
    message = get_scoped_or_404(Message, request.workspace, pk=pk)
    outbound.message_retry(message=message)
    if request.htmx:
        message = Message.objects.prefetch_related("attachments", "bounces").get(pk=pk)
        context = {"thread": message.thread, "view": present_message(message)}
        return render(request, "inbox/thread.html#message", context)
    return redirect("inbox:thread", pk=message.thread_id)
