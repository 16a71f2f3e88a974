"""Telling agents what needs them: the bell's rows, their preferences, and the batched emails.

`notify` is called by the service that made the change, inside its transaction. Emails are
never sent from there: a Celery task runs after the commit and applies the batching window
(at most one email per thread per agent per `EMAIL_WINDOW`; what arrives meanwhile is
summarised in the next one, sent by a task scheduled for the end of the window).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from helpdesk.mail_ids import LOOP_HEADER, loop_header_value
from helpdesk.models import Agent
from helpdesk.refusals import Refused
from helpdesk.system_mail import queue_system_email
from helpdesk.task_batches import queue_soon
from inbox.models import Notification, NotificationEmailWindow, NotificationPreference, Thread

logger = logging.getLogger(__name__)

EMAIL_WINDOW = timedelta(minutes=5)
KINDS = tuple(Notification.Kind.values)


@dataclass(frozen=True)
class Channels:
    """Where one notification goes for one recipient."""

    in_app: bool
    email: bool


def channels_for(*, in_app: bool, email: bool, is_away: bool) -> Channels:
    """An away agent is not looking at the bell: whatever they chose reaches them by email."""
    return Channels(in_app=in_app, email=email or (is_away and in_app))


def notify(
    *,
    workspace_id: int,
    recipient_ids: Iterable[int],
    kind: str,
    thread_id: int,
    actor_id: int | None,
    data: dict[str, Any],
    now: datetime | None = None,
    allow_email: bool = True,
) -> None:
    """Notify the workspace's agents among `recipient_ids` (user ids) of `kind` on the thread.

    Call it inside the caller's transaction. The actor is never notified of their own action;
    ids that are not agents of the workspace are ignored. Each recipient's preferences decide
    between the bell and email (an away agent always gets email). Bell rows are one bulk
    INSERT; emails are queued after commit. `allow_email=False`: the caller already mailed
    the recipients about this (the away owner's notice), the bell alone is left.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}")
    wanted = {int(pk) for pk in recipient_ids if pk is not None} - {actor_id}
    channels = _channels_by_recipient(workspace_id, wanted, kind) if wanted else {}
    now = now or timezone.now()
    rows = [
        Notification(
            workspace_id=workspace_id, recipient_id=user_id, thread_id=thread_id,
            actor_id=actor_id, kind=kind, data=data, in_app=chosen.in_app,
            email_pending=chosen.email and allow_email, created_at=now,
        )
        for user_id, chosen in sorted(channels.items())
        if chosen.in_app or (chosen.email and allow_email)
    ]  # fmt: skip
    Notification.objects.bulk_create(rows)
    for row in rows:
        if row.email_pending:
            transaction.on_commit(
                lambda user_id=row.recipient_id: queue_notification_email(  # type: ignore[misc]
                    recipient_id=user_id, thread_id=thread_id
                ),
                robust=True,
            )


def _channels_by_recipient(workspace_id: int, user_ids: set[int], kind: str) -> dict[int, Channels]:
    """Where `kind` goes for each active agent of the workspace among `user_ids` (two queries)."""
    agents = dict(
        Agent.objects.filter(
            workspace_id=workspace_id, user_id__in=user_ids, user__is_active=True
        ).values_list("user_id", "availability")
    )
    if not agents:
        return {}
    preferences = {
        row.user_id: row
        for row in NotificationPreference.objects.filter(user_id__in=list(agents), kind=kind)
    }
    return {
        user_id: channels_for(
            in_app=preferences[user_id].in_app if user_id in preferences else True,
            email=preferences[user_id].email if user_id in preferences else True,
            is_away=availability == Agent.Availability.AWAY,
        )
        for user_id, availability in agents.items()
    }


def notify_later(
    *,
    thread_id: int,
    kind: str,
    actor_id: int | None,
    data: dict[str, Any],
    recipient_ids: Iterable[int] | None = None,
    allow_email: bool = True,
) -> None:
    """`notify` from a task once the caller's transaction commits; without `recipient_ids`,
    the thread's assignee when the task runs. For the inbound pipeline, whose statements per
    message are budgeted (tests/inbox/inbound/test_statements.py): this costs it none.

    The call is buffered (`helpdesk.task_batches.queue_soon`): this process publishes one
    `notify_batch` task per TASK_BATCH_SECONDS with every notification since, instead of one
    publish (~2 ms) per mail. A publish the broker refuses is tried again the next window; a
    crash of the process loses at most TASK_BATCH_SECONDS of its bell notifications (and their
    emails); the mail itself is committed and never lost."""
    arguments = {
        "thread_id": thread_id,
        "kind": kind,
        "actor_id": actor_id,
        "data": data,
        "recipient_ids": None if recipient_ids is None else list(recipient_ids),
        "allow_email": allow_email,
    }

    def run() -> None:
        from inbox.tasks import notify_batch

        queue_soon(notify_batch, arguments, description="notifications")

    transaction.on_commit(run, robust=True)


def notify_task_run(arguments: dict[str, Any]) -> None:
    """What `notify_later`'s task does, in one transaction."""
    with transaction.atomic():
        thread = (
            Thread.objects.filter(pk=arguments["thread_id"])
            .values("workspace_id", "assignee_id")
            .first()
        )
        if thread is None:
            return
        recipients = arguments["recipient_ids"]
        notify(
            workspace_id=thread["workspace_id"],
            recipient_ids=[thread["assignee_id"]] if recipients is None else recipients,
            kind=arguments["kind"],
            thread_id=arguments["thread_id"],
            actor_id=arguments["actor_id"],
            data=arguments["data"],
            allow_email=arguments.get("allow_email", True),
        )


def queue_notification_email(*, recipient_id: int, thread_id: int, countdown: int = 0) -> None:
    from inbox.tasks import send_notification_email

    try:
        send_notification_email.apply_async((recipient_id, thread_id), countdown=countdown)
    except Exception:
        # The rows stay pending: the next notification on the thread (or its flush) sends them.
        logger.warning("Could not queue a notification email", exc_info=True)


def notification_email_send(*, recipient_id: int, thread_id: int, now: datetime) -> int:
    """Email the recipient what is pending on the thread, unless they had an email about it
    less than EMAIL_WINDOW ago: then one summary is scheduled for the window's end.

    Returns how many notifications the email carried (0: none sent now). Two workers cannot
    both send: the window row is locked for the decision.
    """
    with transaction.atomic():
        NotificationEmailWindow.objects.get_or_create(
            recipient_id=recipient_id, thread_id=thread_id
        )
        window = NotificationEmailWindow.objects.select_for_update().get(
            recipient_id=recipient_id, thread_id=thread_id
        )
        pending = list(
            Notification.objects.filter(
                recipient_id=recipient_id, thread_id=thread_id, email_pending=True
            ).order_by("created_at", "id")
        )
        if not pending:
            return 0
        opens_at = window.last_sent_at + EMAIL_WINDOW if window.last_sent_at else now
        if now < opens_at:
            if window.flush_at is None or window.flush_at < now:
                window.flush_at = opens_at
                window.save(update_fields=["flush_at"])
                countdown = int((opens_at - now).total_seconds()) + 1
                transaction.on_commit(
                    lambda: queue_notification_email(
                        recipient_id=recipient_id, thread_id=thread_id, countdown=countdown
                    ),
                    robust=True,
                )
            return 0
        email = _notification_email(recipient_id=recipient_id, thread_id=thread_id, rows=pending)
        Notification.objects.filter(pk__in=[row.pk for row in pending]).update(email_pending=False)
        window.last_sent_at, window.flush_at = now, None
        window.save(update_fields=["last_sent_at", "flush_at"])
        if email is not None:
            queue_system_email(email)
        return len(pending)


_SENTENCES = {
    Notification.Kind.ASSIGNED: "{actor} assigned this conversation to you.",
    Notification.Kind.CUSTOMER_REPLIED: "{actor} replied.",
    Notification.Kind.MENTIONED: "{actor} mentioned you in a note.",
    Notification.Kind.DELIVERY_FAILED: "A reply you sent could not be delivered.",
}


def describe(notification: Notification, *, actor_name: str) -> str:
    """One sentence for the bell and the email."""
    sentence = _SENTENCES.get(Notification.Kind(notification.kind), "{actor} updated this.")
    return sentence.format(actor=actor_name)


def actor_name(notification: Notification) -> str:
    if notification.kind == Notification.Kind.CUSTOMER_REPLIED:
        return str(notification.data.get("from") or "The customer")
    if notification.actor is None:
        return "A rule" if notification.kind == Notification.Kind.ASSIGNED else "Someone"
    return notification.actor.get_full_name() or notification.actor.get_username()


def _notification_email(
    *, recipient_id: int, thread_id: int, rows: list[Notification]
) -> EmailMessage | None:
    recipient = Agent.objects.select_related("user").filter(user_id=recipient_id).first()
    thread = Thread.objects.filter(pk=thread_id).first()
    if recipient is None or thread is None or not recipient.user.email:
        return None
    lines = [f"- {describe(row, actor_name=actor_name(row))}" for row in rows]
    subject = thread.subject or "(no subject)"
    if len(rows) > 1:
        heading = f"{len(rows)} updates on “{subject}”"
    else:
        heading = describe(rows[0], actor_name=actor_name(rows[0]))
    link = settings.SITE_URL.rstrip("/") + reverse("inbox:thread", kwargs={"pk": thread_id})
    body = "\n".join([heading, "", *lines, "", f"Open the conversation: {link}", ""])
    return EmailMessage(
        subject=f"[{recipient.workspace.name}] {heading}"[:200],
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.user.email],
        # Auto-Submitted (RFC 3834) keeps auto-responders quiet; the loop header lets our own
        # pipeline refuse it should it come back to one of our addresses.
        headers={"Auto-Submitted": "auto-generated", LOOP_HEADER: loop_header_value()},
    )


def notification_mark_read(*, notification: Notification, now: datetime) -> None:
    """Mark one of the agent's notifications read (the caller scoped it to the agent)."""
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)


def notifications_mark_all_read(*, user_id: int, now: datetime) -> int:
    """Mark every unread notification of the agent read; returns how many."""
    return Notification.objects.filter(
        recipient_id=user_id, read_at__isnull=True, in_app=True
    ).update(read_at=now)


def notification_preferences_save(*, user_id: int, choices: dict[str, Channels]) -> None:
    """Store the agent's choice for every kind in `choices`."""
    unknown = set(choices) - set(KINDS)
    if unknown:
        raise Refused("Unknown notification event.")
    with transaction.atomic():
        for kind, channels in choices.items():
            NotificationPreference.objects.update_or_create(
                user_id=user_id,
                kind=kind,
                defaults={"in_app": channels.in_app, "email": channels.email},
            )
