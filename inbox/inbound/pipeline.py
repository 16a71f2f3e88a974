"""The inbound pipeline's imperative shell: parse -> validate -> attribute -> route -> persist.

Claims the ledger row, loads what the pure stages need through selectors, calls them, and applies
the decision through services in one transaction whose last write to the row happens only while
this run's claim is still the row's: a redelivered task (acks_late, visibility timeout) or a
reprocess racing it rolls back one of the two, so a message is never stored twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels_cfg.models import EmailChannel
from channels_cfg.services import channels as channel_services
from helpdesk.db import pipelined, relax_commit_durability
from helpdesk.html_text import html_to_text
from helpdesk.mail_ids import is_our_message_id, loop_header_value, test_token_from_message_id
from inbox.inbound import route as routing
from inbox.inbound.attribute import Attribution, ChannelRules, attribute, may_be_forward
from inbox.inbound.content import Content, content_digest, content_for, snippet
from inbox.inbound.parse import ParsedEmail, parse
from inbox.inbound.validate import (
    ValidationContext,
    dmarc_aligned_pass,
    dmarc_failed,
    ids_quoted_by_bounce,
    is_auto_reply,
    is_bounce,
    validate,
)
from inbox.models import Contact, InboundEmail, Message, Notification, Thread, ThreadEvent
from inbox.selectors import inbound as selectors
from inbox.selectors.inbound import ChannelForDelivery
from inbox.services import inbound as services
from inbox.services.events import thread_event_record
from inbox.services.intake import (
    ClaimedInboundEmail,
    inbound_email_claim,
    inbound_email_claim_ready,
    inbound_email_mark_accepted,
    max_mime_bytes,
)
from inbox.services.notifications import notify_later
from inbox.services.snooze import thread_woke_by_contact
from inbox.services.ticket_status import ticket_follow_contact

logger = logging.getLogger(__name__)

MARK_INBOUND_EVERY = timedelta(seconds=10)


def process_inbound_email(inbound_email_id: int) -> None:
    """Claim a stored delivery, run the pipeline on it and apply its decision.

    Moves the row to accepted / rejected / duplicate. Expected refusals are data on the row;
    anything unexpected raises (the task retries it, then marks the row failed). A row already
    final, or claimed again by another run while this one worked, is left alone.
    """
    now = timezone.now()
    claimed = inbound_email_claim(inbound_email_id=inbound_email_id, now=now)
    if claimed is not None:
        process_claimed(claimed, now)


def process_ready_batch(*, limit: int) -> int:
    """Claim up to `limit` other rows waiting in `received` (rows another worker holds are
    skipped) and process each in its own transaction; returns how many were processed.

    A row that raises stays `processing` with its attempt counted: its own queued task, or the
    sweeper, claims it again and goes through the task's retries. The others are unaffected.
    """
    now = timezone.now()
    done = 0
    for claimed in inbound_email_claim_ready(limit=limit, now=now):
        try:
            process_claimed(claimed, now)
            done += 1
        except Exception as error:
            # Only the type: database errors quote the values they refused (addresses).
            logger.warning(
                "inbound %s failed in a batch (%s); its own task retries it",
                claimed.row.pk,
                type(error).__name__,
            )
    return done


def process_claimed(claimed: ClaimedInboundEmail, now: datetime) -> None:
    row = claimed.row
    if claimed.has_message:
        # Stored by an earlier run (a second reprocess): put the row back to accepted.
        inbound_email_mark_accepted(inbound_email_id=row.pk)
        return
    try:
        # Pipelined: statements whose answers nothing reads before the end (the events, the
        # ticket, the message, the ledger row's outcome with its claim check) travel together
        # with the COMMIT.
        with transaction.atomic(), pipelined(InboundEmail, commit=True):
            # All of it can be rebuilt from the ledger row, which intake committed durably.
            relax_commit_durability(InboundEmail)
            _process(row, now)
    except services.ClaimLost:
        logger.info("inbound %s: claimed again by another run; this run rolled back", row.pk)


@dataclass(frozen=True)
class _Recognised:
    """What a draft channel takes too: its returning test email, a forwarding confirmation."""

    test_token: str | None
    confirmation: routing.ForwardingConfirmation | None


def _process(row: InboundEmail, now: datetime) -> None:
    parsed = parse(bytes(row.raw))
    digest = content_digest(parsed) if not parsed.malformed else ""
    # Sent first, read by routing: it travels with the channel lookup (one round trip).
    threads = selectors.threads_for_message_ids_ahead(
        routing.referenced_ids(parsed), address=row.envelope_recipient
    )
    delivery = selectors.channel_get_for_forwarding_address(
        row.envelope_recipient, parsed.from_email, parsed.message_id, digest
    )
    channel = delivery.channel if delivery else None
    recognised = _recognise(parsed, channel)
    attribution = _attribution(parsed, channel) if channel and not parsed.malformed else None
    senders = tuple({parsed.from_email, attribution.from_email if attribution else ""} - {""})
    context = _validation_context(row, parsed, delivery, attribution, recognised)
    rejection = validate(parsed, context, senders)
    if rejection is not None:
        logger.info("inbound %s rejected: %s", row.pk, rejection.code)
        services.inbound_record_rejection(
            row=row, rejection=rejection, parsed=parsed, channel=channel, now=now
        )
        return
    assert delivery is not None and attribution is not None  # validate refuses mail without them
    if "auth_failed" in context.skip_checks and dmarc_failed(parsed, context):
        # Processed anyway by an admin: shown, but never trusted as that sender
        # (docs/reliability.md, "Spoofed senders and DMARC").
        warning = "DMARC failed for this sender's domain: the sender is not verified."
        attribution = replace(attribution, warnings=(*attribution.warnings, warning))
    _accept(row, parsed, digest, delivery, attribution, recognised, threads, now)


def _recognise(parsed: ParsedEmail, channel: EmailChannel | None) -> _Recognised:
    # Computed once: validation lets them into a draft channel, routing then records them.
    is_draft = channel is not None and channel.status == EmailChannel.Status.DRAFT
    return _Recognised(
        test_token=test_token_from_message_id(parsed.message_id) if parsed.message_id else None,
        confirmation=None
        if parsed.malformed
        else routing.forwarding_confirmation(parsed, from_any_sender=is_draft),
    )


def _validation_context(
    row: InboundEmail,
    parsed: ParsedEmail,
    delivery: ChannelForDelivery | None,
    attribution: Attribution | None,
    recognised: _Recognised,
) -> ValidationContext:
    channel = delivery.channel if delivery else None
    return ValidationContext(
        size=row.size,
        max_size=max_mime_bytes(),
        max_message_bytes=settings.INBOUND_MAX_MESSAGE_BYTES,
        envelope_recipient=row.envelope_recipient,
        channel_status=channel.status if channel else None,
        blocked=_blocked(delivery, parsed, attribution),
        spam_threshold=channel.workspace.spam_threshold if channel else 5.0,
        esp_verdicts=row.esp_verdicts or {},
        authserv_ids=_authserv_ids(),
        trusted_arc_sealers=frozenset(a.lower() for a in settings.INBOUND_TRUSTED_ARC_SEALERS),
        loop_header_value=loop_header_value(),
        message_id_is_ours=bool(parsed.message_id) and is_our_message_id(parsed.message_id),
        our_from_addresses=frozenset({channel.from_address.lower()}) if channel else frozenset(),
        skip_checks=frozenset(row.skip_checks or ()),
        is_expected_in_draft=bool(recognised.test_token or recognised.confirmation),
        is_test_email=bool(recognised.test_token),
    )


def _blocked(
    delivery: ChannelForDelivery | None, parsed: ParsedEmail, attribution: Attribution | None
) -> frozenset[str]:
    if delivery is None:
        return frozenset()
    found = {delivery.blocked_rule} if delivery.blocked_rule else set()
    if attribution and attribution.from_email and attribution.from_email != parsed.from_email:
        found |= selectors.blocked_values_matching(
            delivery.channel.workspace_id, (attribution.from_email,)
        )
    return frozenset(found)


def _attribution(parsed: ParsedEmail, channel: EmailChannel) -> Attribution:
    may = may_be_forward(parsed)
    rules = ChannelRules(
        attribute_to_forwarder=channel.attribute_to == EmailChannel.AttributeTo.FORWARDER,
        trusted_forwarders=selectors.trusted_forwarders_for(channel) if may else frozenset(),
        forwarding_address=channel.forwarding_address.address,
        colleague_domains=selectors.colleague_domains_for(channel) if may else frozenset(),
        sender_authenticated=may and dmarc_aligned_pass(parsed, _authserv_ids()),
    )
    return attribute(parsed, rules)


def _authserv_ids() -> frozenset[str]:
    return frozenset(a.lower() for a in settings.INBOUND_AUTHSERV_IDS)


def _accept(
    row: InboundEmail,
    parsed: ParsedEmail,
    digest: str,
    delivery: ChannelForDelivery,
    attribution: Attribution,
    recognised: _Recognised,
    threads: Callable[[], tuple[dict[str, int], frozenset[int]]],
    now: datetime,
) -> None:
    channel = delivery.channel
    content = content_for(parsed, attribution, digest)
    auto_reply, bounce = is_auto_reply(parsed), is_bounce(parsed)
    bounce_of = (
        selectors.outbound_message_for_bounce(channel.workspace_id, ids_quoted_by_bounce(parsed))
        if bounce
        else None
    )
    known, closed = threads()
    candidates = routing.Candidates(
        thread_by_message_id=known,
        closed_thread_ids=closed,
        is_duplicate=delivery.is_duplicate,
        test_token=recognised.test_token,
        bounce_thread_id=bounce_of.thread_id if bounce_of else None,
    )
    decision = routing.route(
        parsed,
        attribution,
        candidates,
        routing.ChannelRouting(channel.create_tickets, channel.auto_assign),
        is_auto_reply=auto_reply,
        is_bounce=bounce,
        confirmation=recognised.confirmation,
    )
    flags = _Flags(auto_reply, bounce, bounce_of, delivery.sender_contact)
    status, detail = _apply(decision, row, parsed, channel, attribution, content, flags, now)
    services.inbound_record_outcome(
        row=row, status=status, detail=detail, parsed=parsed, channel=channel, now=now
    )
    if channel.last_inbound_at is None or now - channel.last_inbound_at > MARK_INBOUND_EVERY:
        # One write every few seconds at most: on a busy channel every message would otherwise
        # update this row, and "when mail last arrived" needs no sub-second precision.
        channel_services.channel_mark_inbound(channel_id=channel.pk, at=now)


def _apply(
    decision: routing.Decision,
    row: InboundEmail,
    parsed: ParsedEmail,
    channel: EmailChannel,
    attribution: Attribution,
    content: Content,
    flags: _Flags,
    now: datetime,
) -> tuple[str, str]:
    accepted = InboundEmail.Status.ACCEPTED
    if isinstance(decision, routing.TestEmailReturned):
        found = channel_services.channel_test_email_received(token=decision.token, at=now)
        return (
            accepted,
            "The channel's test email came back." if found else "A test email came back.",
        )
    if isinstance(decision, routing.Duplicate):
        return InboundEmail.Status.DUPLICATE, f"Already stored: {decision.message_id[:200]}."
    thread_snippet = snippet(content)
    if isinstance(decision, routing.ForwardingConfirmation):
        confirmation = channel_services.forwarding_confirmation_record(
            channel_id=channel.pk,
            provider=decision.provider,
            requested_by=decision.requested_by,
            code=decision.code,
            confirm_url=decision.confirm_url,
            received_at=now,
        )
        thread = services.thread_create(
            channel=channel, contact=None, subject=content.subject, snippet=thread_snippet,
            kind=Thread.Kind.FORWARDING_CONFIRMATION, forwarding_confirmation=confirmation,
            now=now,
        )  # fmt: skip
        _store(row, thread, parsed, attribution, content, flags, now)
        return accepted, "Forwarding confirmation recorded."
    # A bounce comes from a mail server, not from someone who should become a contact.
    contact = (
        None
        if flags.bounce
        else services.contact_for_sender(
            workspace_id=channel.workspace_id,
            email=attribution.from_email,
            name=attribution.from_name,
            known=flags.sender_contact,
        )
    )
    if isinstance(decision, routing.AppendToThread):
        contact_wrote = not (flags.auto_reply or flags.bounce)
        touched = services.thread_touch(
            thread_id=decision.thread_id,
            workspace_id=channel.workspace_id,
            reopen=decision.reopen,
            snippet=thread_snippet,
            now=now,
            contact_wrote=contact_wrote,
        )
        thread = touched.thread
        if decision.reopen:
            thread_event_record(
                thread=thread, kind=ThreadEvent.Kind.REOPENED, actor_id=None, at=now,
                data={"by": "new_message"},
            )  # fmt: skip
        if contact_wrote:
            # Statements only when something moves: a snooze ended, the ticket's status.
            if touched.woke:
                thread_woke_by_contact(thread=thread, at=now)
            ticket_follow_contact(thread=thread, ticket_status=touched.ticket_status, now=now)
        _store(row, thread, parsed, attribution, content, flags, now)
        if not (flags.auto_reply or flags.bounce):
            # After commit, in a task: costs the pipeline's transaction no statement.
            notify_later(
                thread_id=thread.pk, kind=Notification.Kind.CUSTOMER_REPLIED, actor_id=None,
                data={"from": attribution.from_name or attribution.from_email},
            )  # fmt: skip
        return accepted, ""
    # The assignee is chosen as the thread is inserted: round robin in the same statement.
    rotate = decision.auto_assign and services.assigns_round_robin(channel)
    owner = (
        services.contact_owner_assignee(channel=channel, contact=contact)
        if decision.auto_assign and not rotate
        else None
    )
    if (
        services.opens_conversations_at_once()
        and services.writes_attachments_at_once(len(parsed.attachments))
        and flags.bounce_of is None
        and not (owner and owner.away_email)
    ):
        _open_at_once(row, parsed, channel, contact, attribution, content, thread_snippet, flags,
                      rotate, owner, decision.make_ticket, now)  # fmt: skip
        return accepted, ""
    thread = services.thread_create(
        channel=channel, contact=contact, subject=content.subject, snippet=thread_snippet,
        assignee_id=owner.user_id if owner else None, rotate_assignee=rotate, now=now,
    )  # fmt: skip
    assignee = owner or (
        services.NewThreadAssignee(thread.assignee_id) if thread.assignee_id else None
    )
    if assignee is not None:
        # Reports count a thread as assigned from this event on (the rule is the actor).
        thread_event_record(
            thread=thread, kind=ThreadEvent.Kind.ASSIGNED, actor_id=None, at=now,
            data={
                "assignee_id": assignee.user_id, "team_id": None,
                "from_assignee_id": None, "from_team_id": None, "by": "rule",
            },
        )  # fmt: skip
        # The away notice below is their email.
        _notify_assigned_by_rule(thread.pk, assignee.user_id, allow_email=not assignee.away_email)
    if assignee is not None and assignee.away_email:
        services.away_owner_notify(
            thread=thread, channel=channel, contact=contact, to=assignee.away_email,
            preview=content.text[:5000] or html_to_text(content.html[:20_000]),
        )  # fmt: skip
    if decision.make_ticket:
        services.ticket_create_for(thread=thread, channel=channel, subject=content.subject)
    _store(row, thread, parsed, attribution, content, flags, now)
    return accepted, ""


def _open_at_once(
    row: InboundEmail,
    parsed: ParsedEmail,
    channel: EmailChannel,
    contact: Contact | None,
    attribution: Attribution,
    content: Content,
    thread_snippet: str,
    flags: _Flags,
    rotate: bool,
    owner: services.NewThreadAssignee | None,
    make_ticket: bool,
    now: datetime,
) -> None:
    """The new conversation's thread, assignment event, ticket, message and its attachments in
    one statement; the assignee is known once the pipeline settles, and notified after commit."""

    def message(thread: Thread) -> Message:
        return services.message_for(
            row=row, thread=thread, parsed=parsed, attribution=attribution, content=content,
            is_auto_reply=flags.auto_reply, is_bounce=flags.bounce, bounce_of=None, now=now,
        )  # fmt: skip

    def opened(thread: Thread) -> None:
        if thread.assignee_id is not None:
            _notify_assigned_by_rule(thread.pk, thread.assignee_id, allow_email=True)

    services.conversation_open(
        channel=channel, contact=contact, subject=content.subject, snippet=thread_snippet,
        rotate=rotate, owner_id=owner.user_id if owner else None, make_ticket=make_ticket,
        message=message, now=now, opened=opened, attachments=parsed.attachments,
    )  # fmt: skip


def _notify_assigned_by_rule(thread_id: int, user_id: int, *, allow_email: bool) -> None:
    notify_later(
        thread_id=thread_id, kind=Notification.Kind.ASSIGNED, actor_id=None,
        data={"by": "rule"}, recipient_ids=[user_id], allow_email=allow_email,
    )  # fmt: skip


@dataclass(frozen=True)
class _Flags:
    auto_reply: bool
    bounce: bool
    bounce_of: Message | None
    sender_contact: Contact | None  # the sender's contact, read with the channel


def _store(
    row: InboundEmail,
    thread: Thread,
    parsed: ParsedEmail,
    attribution: Attribution,
    content: Content,
    flags: _Flags,
    now: datetime,
) -> None:
    if flags.bounce_of is not None:
        services.outbound_mark_bounced(message=flags.bounce_of, detail=parsed.subject or "Bounced")
        if flags.bounce_of.sent_by_id is not None:
            notify_later(
                thread_id=flags.bounce_of.thread_id, kind=Notification.Kind.DELIVERY_FAILED,
                actor_id=None, data={"message_id": flags.bounce_of.pk},
                recipient_ids=[flags.bounce_of.sent_by_id],
            )  # fmt: skip
    message = services.message_for(
        row=row, thread=thread, parsed=parsed, attribution=attribution, content=content,
        is_auto_reply=flags.auto_reply, is_bounce=flags.bounce, bounce_of=flags.bounce_of, now=now,
    )  # fmt: skip
    services.message_store(message=message, parsed=parsed)
