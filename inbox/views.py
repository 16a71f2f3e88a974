"""The agents' inbox: thin adapters over inbox.selectors.threads and inbox.services.*.

A page renders its whole template; an htmx request gets a named partial of the same template.
Every POST also works as a plain form post (redirect back to the thread).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages as flash
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from helpdesk.models import Agent, Team
from helpdesk.tenancy import admin_required, agent_required, get_scoped_or_404, scoped
from inbox import image_proxy as image_proxy_module
from inbox.mail_providers import is_shared_mailbox_domain
from inbox.models import Attachment, Contact, Message, Thread, Ticket
from inbox.presenters import present_message
from inbox.selectors import threads as selectors
from inbox.services import outbound
from inbox.services import threads as services

logger = logging.getLogger(__name__)

# Attachment downloads never carry the sender's Content-Type (RELIABILITY.md row 43).
DOWNLOAD_CONTENT_TYPE = "application/octet-stream"


def _filters(request: HttpRequest) -> selectors.ListFilters:
    channel = request.GET.get("channel", "")
    return selectors.ListFilters(
        view=request.GET.get("view", selectors.DEFAULT_VIEW),
        query=request.GET.get("q", "").strip()[:200],
        channel_id=int(channel) if channel.isdigit() else None,
        assignee=request.GET.get("assignee", "")[:20],
        cursor=request.GET.get("cursor", "")[:200],
        until=request.GET.get("until", "")[:200],
    )


def _list_context(request: HttpRequest, *, with_rows: bool = True) -> dict[str, Any]:
    workspace, agent = request.workspace, request.agent  # type: ignore[attr-defined]
    filters = _filters(request)
    stamp = selectors.inbox_stamp(workspace=workspace)
    page = (
        selectors.thread_list(workspace=workspace, agent=agent, filters=filters)
        if with_rows
        else selectors.ThreadPage(threads=[], filters=filters)
    )
    counts = selectors.thread_counts(workspace=workspace, agent=agent, stamp=stamp)
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
        "channels": list(
            workspace.channels.order_by("name", "id").only("id", "name", "company_name")
        ),
    }


@agent_required
@require_GET
def inbox_index(request: HttpRequest) -> HttpResponse:
    context = _list_context(request)
    if request.htmx and request.GET.get("cursor"):  # type: ignore[attr-defined]
        # Older rows go below the list; the live poller from now on refreshes every row down to
        # the last one shown (without a stamp, so its first round catches up on what arrived).
        if context["page"].threads:
            extra = {"current": context["current_thread_id"] or ""}
            until = selectors.encode_cursor(context["page"].threads[-1])
            context["poll_query"] = urlencode(context["filters"].as_params(until=until, **extra))
        return render(request, "inbox/index.html#more-rows", context)
    if request.htmx and request.htmx.target == "thread-list":  # type: ignore[attr-defined]
        return render(request, "inbox/index.html#thread-list", context)
    return render(request, "inbox/index.html", context)


@agent_required
@require_GET
def inbox_poll(request: HttpRequest) -> HttpResponse:
    """204 while nothing changed (htmx leaves the page alone), else the fresh first page."""
    workspace = request.workspace  # type: ignore[attr-defined]
    stamp = request.GET.get("stamp", "")
    if stamp.isdigit() and int(stamp) == selectors.inbox_stamp(workspace=workspace):
        return HttpResponse(status=204)
    return render(request, "inbox/index.html#thread-list-refresh", _list_context(request))


def _thread_context(
    request: HttpRequest, thread: Thread, agents: list[Agent] | None = None
) -> dict[str, Any]:
    workspace = request.workspace  # type: ignore[attr-defined]
    if thread.channel is not None and thread.channel.workspace_id == workspace.pk:
        thread.channel.workspace = workspace  # already loaded: saves a query per page
    show_images = request.GET.get("images", "")
    messages = list(selectors.thread_messages(thread=thread))
    message_views = [
        present_message(
            message,
            show_images=show_images in {"all", str(message.pk)},
            image_origin=_origin(request),
        )
        for message in messages
    ]
    channel = thread.channel
    agent: Agent = request.agent  # type: ignore[attr-defined]
    from_name, from_address = outbound.from_header(channel=channel, agent=agent)
    signature = ""
    if channel is not None and channel.signature_html:
        signature = outbound.render_signature(
            channel.signature_html, full_name=agent.full_name, first_name=agent.first_name
        )
    ticket = thread.ticket if _has_ticket(thread) else None
    return {
        "thread": thread,
        "ticket": ticket,
        "agents": selectors.workspace_agents(workspace=workspace),
        "message_views": message_views,
        "last_message_id": max((view.pk for view in message_views), default=0),
        "other_threads": selectors.contact_other_threads(thread=thread),
        "teams": list(scoped(Team, workspace).order_by("name")),
        "from_display": f"{from_name} <{from_address}>" if from_name else from_address,
        "contact_domain": _blockable_domain(thread),
        "signature_html": signature,
        "reply_cc": outbound.reply_cc_default(
            messages,
            contact_email=thread.contact.email if thread.contact else "",
            channel=channel,
        ),
        "max_attachment_bytes": selectors.max_attachment_bytes(),
        "ticket_fields": _ticket_fields(ticket),
    }


def _has_ticket(thread: Thread) -> bool:
    try:
        return thread.ticket is not None
    except Thread.ticket.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return False


def _ticket_fields(ticket: Ticket | None) -> list[dict[str, Any]]:
    fields = []
    for name in services.TICKET_FIELDS:
        model_field: Any = Ticket._meta.get_field(name)
        current = getattr(ticket, name) if ticket else model_field.get_default()
        fields.append(
            {
                "name": name,
                "label": str(model_field.verbose_name).capitalize(),
                "choices": list(model_field.choices or []),  # type: ignore[union-attr]
                "current": current,
            }
        )
    return fields


def _load_thread(request: HttpRequest, pk: int) -> Thread:
    thread = selectors.thread_get(workspace=request.workspace, pk=pk)  # type: ignore[attr-defined]
    if thread is None:
        raise Http404("Not found")
    # Forwarding confirmations carry a mailbox's confirmation code: admins only, like their view.
    if thread.kind == Thread.Kind.FORWARDING_CONFIRMATION and not request.agent.is_admin:  # type: ignore[attr-defined]
        raise Http404("Not found")
    return thread


@agent_required
@require_GET
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    list_context = _list_context(request, with_rows=False)
    context = {**list_context, **_thread_context(request, thread, list_context["agents"])}
    services.thread_mark_read(thread=thread, user_id=int(request.user.pk or 0), at=timezone.now())
    return render(request, "inbox/thread.html", context)


@agent_required
@require_GET
def thread_poll(request: HttpRequest, pk: int) -> HttpResponse:
    """New messages after `after` (appended under the thread), or 204 when there are none."""
    thread = _load_thread(request, pk)
    after = request.GET.get("after", "0")
    after_id = int(after) if after.isdigit() else 0
    new = selectors.thread_messages(thread=thread, after_id=after_id)
    if not new:
        return HttpResponse(status=204)
    services.thread_mark_read(thread=thread, user_id=int(request.user.pk or 0), at=timezone.now())
    # A new bounce changes the reply it reports on: that reply is re-rendered in place.
    bounced_ids = {
        m.bounce_of_id for m in new if m.bounce_of_id and m.bounce_of_id <= int(after or 0)
    }
    bounced = selectors.thread_messages(thread=thread, ids=list(bounced_ids)) if bounced_ids else []
    context = {
        "thread": thread,
        "message_views": [present_message(message) for message in new],
        "changed_views": [present_message(message) for message in bounced],
        "last_message_id": max(message.pk for message in new),
    }
    return render(request, "inbox/thread.html#new-messages", context)


@agent_required
@require_GET
def message_fragment(request: HttpRequest, pk: int, message_pk: int) -> HttpResponse:
    """One message again: its delivery state while sending, or with images shown."""
    thread = _load_thread(request, pk)
    message = get_scoped_or_404(
        Message.objects.prefetch_related("attachments", "bounces").select_related("sent_by"),
        request.workspace,  # type: ignore[attr-defined]
        pk=message_pk,
        thread_id=thread.pk,
    )
    view = present_message(
        message, show_images=request.GET.get("images") == "1", image_origin=_origin(request)
    )
    return render(request, "inbox/thread.html#message", {"thread": thread, "view": view})


def _blockable_domain(thread: Thread) -> str:
    """The contact's domain when blocking it is sensible; "" for gmail.com and the like."""
    domain = thread.contact.email.rpartition("@")[2].lower() if thread.contact else ""
    return "" if not domain or is_shared_mailbox_domain(domain) else domain


def _origin(request: HttpRequest) -> str:
    """Our origin as the browser sees it: the message frame's CSP allows images from it alone."""
    return f"{request.scheme}://{request.get_host()}"


def _back_to_thread(request: HttpRequest, thread: Thread) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        context = _thread_context(request, thread)
        return render(request, "inbox/thread.html#thread-meta-oob", context)
    return redirect("inbox:thread", pk=thread.pk)


def _agent_from_post(request: HttpRequest, name: str) -> Agent | None:
    value = request.POST.get(name, "")
    if value in ("", "none"):
        return None
    if value == "me":
        return request.agent  # type: ignore[no-any-return, attr-defined]
    return get_scoped_or_404(Agent, request.workspace, user_id=value)  # type: ignore[attr-defined]


def _refused(request: HttpRequest, thread: Thread, error: Exception) -> HttpResponse:
    flash.error(request, str(error))
    if request.htmx:  # type: ignore[attr-defined]
        response = _back_to_thread(request, thread)
        response.status_code = 200
        return response
    return redirect("inbox:thread", pk=thread.pk)


@agent_required
@require_POST
def thread_assign(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    team_id = request.POST.get("team", "")
    team = get_scoped_or_404(Team, request.workspace, pk=team_id) if team_id else None  # type: ignore[attr-defined]
    try:
        services.thread_assign(
            thread=thread, assignee=_agent_from_post(request, "assignee"), team=team
        )
    except services.ActionRefused as error:
        return _refused(request, thread, error)
    return _back_to_thread(request, _load_thread(request, pk))


@agent_required
@require_POST
def thread_status(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    try:
        services.thread_set_status(thread=thread, status=request.POST.get("status", ""))
    except services.ActionRefused as error:
        return _refused(request, thread, error)
    return _back_to_thread(request, _load_thread(request, pk))


@agent_required
@require_POST
def thread_spam(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    services.thread_mark_spam(thread=thread, by=request.user)  # type: ignore[arg-type]
    flash.success(request, "Marked as spam: the sender is blocked and the thread left the inbox.")
    return _redirect_to_inbox(request)


@admin_required
@require_POST
def thread_not_spam(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    still_blocked = services.thread_not_spam(thread=thread)
    note = "Not spam: the thread is back in the inbox"
    if thread.contact is not None:
        note += f" and mail from {thread.contact.email} is accepted again"
    if still_blocked:
        note += f" (except that {', '.join(still_blocked)} is still blocked as a whole domain)"
    flash.success(request, note + ".")
    if request.htmx:  # type: ignore[attr-defined]
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("inbox:thread", kwargs={"pk": thread.pk})
        return response
    return redirect("inbox:thread", pk=thread.pk)


@admin_required
@require_POST
def thread_block_sender(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    value = request.POST.get("value", "") or (thread.contact.email if thread.contact else "")
    try:
        blocked = services.sender_block(
            workspace_id=thread.workspace_id,
            value=value,
            by=request.user,  # type: ignore[arg-type]
        )
    except services.ActionRefused as error:
        return _refused(request, thread, error)
    flash.success(request, f"Mail from {blocked.value} will be refused from now on.")
    return _back_to_thread(request, thread)


def _redirect_to_inbox(request: HttpRequest) -> HttpResponse:
    target = reverse("inbox:index")
    if request.htmx:  # type: ignore[attr-defined]
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


@agent_required
@require_POST
def thread_change_contact(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    try:
        services.thread_change_contact(
            thread=thread,
            email=request.POST.get("email", ""),
            name=request.POST.get("name", ""),
        )
    except services.ActionRefused as error:
        return _refused(request, thread, error)
    return _back_to_thread(request, _load_thread(request, pk))


@agent_required
@require_POST
def contact_owner(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    contact = get_scoped_or_404(Contact, request.workspace, pk=contact_pk)  # type: ignore[attr-defined]
    try:
        services.contact_set_owner(contact=contact, owner=_agent_from_post(request, "owner"))
    except services.ActionRefused as error:
        return _refused(request, thread, error)
    return _back_to_thread(request, _load_thread(request, pk))


@agent_required
@require_POST
def ticket_edit(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    changes = {name: request.POST[name] for name in services.TICKET_FIELDS if name in request.POST}
    try:
        services.ticket_update(
            thread=thread, changes=changes, owner=_agent_from_post(request, "owner")
        )
    except services.ActionRefused as error:
        return _refused(request, thread, error)
    return _back_to_thread(request, _load_thread(request, pk))


@agent_required
@require_POST
def thread_reply(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _load_thread(request, pk)
    try:
        outbound.reply_create(
            thread=thread,
            agent=request.agent,  # type: ignore[attr-defined]
            body_html=request.POST.get("body_html", ""),
            body_text=request.POST.get("body", ""),
            cc=request.POST.get("cc", "")[:4000],
            files=request.FILES.getlist("attachments"),
        )
    except outbound.ReplyRefused as error:
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "inbox/thread.html#composer-error", {"error": str(error)})
        flash.error(request, str(error))
        return redirect("inbox:thread", pk=thread.pk)
    if request.htmx:  # type: ignore[attr-defined]
        # The thread poller fetches the new message at once; the composer clears itself.
        response = render(request, "inbox/thread.html#composer-error", {"error": ""})
        response["HX-Trigger"] = "inbox-sent"
        return response
    return redirect("inbox:thread", pk=thread.pk)


@agent_required
@require_POST
def message_retry(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_scoped_or_404(Message, request.workspace, pk=pk)  # type: ignore[attr-defined]
    outbound.message_retry(message=message)
    if request.htmx:  # type: ignore[attr-defined]
        message = Message.objects.prefetch_related("attachments", "bounces").get(pk=pk)
        context = {"thread": message.thread, "view": present_message(message)}
        return render(request, "inbox/thread.html#message", context)
    return redirect("inbox:thread", pk=message.thread_id)


@agent_required
@require_POST
def availability(request: HttpRequest) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    try:
        services.agent_set_availability(
            agent=agent, availability=request.POST.get("availability", "")
        )
    except services.ActionRefused as error:
        flash.error(request, str(error))
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "inbox/index.html#availability", {"current_agent": agent})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("inbox:index")
    return redirect(target)


@agent_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Always a download, never rendered in our origin (RELIABILITY.md row 43)."""
    workspace = request.workspace  # type: ignore[attr-defined]
    attachment = get_scoped_or_404(Attachment, workspace, pk=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename or "attachment",
        content_type=DOWNLOAD_CONTENT_TYPE,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
def image_proxy(request: HttpRequest) -> HttpResponse:
    """A remote image of a mail, fetched by us (inbox.image_proxy). No session: the sandboxed
    message frame sends no cookies; the signature is what allows the fetch."""
    url = image_proxy_module.url_from_signed(request.GET.get("src", ""))
    if url is None:
        raise Http404("Unknown image")
    try:
        image = image_proxy_module.fetch_image(url)
    except image_proxy_module.ImageFetchError as error:
        logger.info("Image proxy refused %s: %s", url[:200], error)
        return HttpResponse(status=502)
    response = HttpResponse(image.content, content_type=image.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=86400"
    return response
