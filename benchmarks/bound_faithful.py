"""`make bench-bound`'s **faithful** contender: `lean` made to do what ours does for small mail.

`lean` (bound.py) shows what a pipeline off the ORM, its writes in one PL/pgSQL call, could at
best come to, but it leaves out part of the product's work. This contender puts that work back,
to measure what such a rewrite would really cost, the rules included:

- the product's own lookup statements (the channel with its workspace and forwarding address,
  the blocked-list entry, the duplicate check and the sender's contact; the threads of the
  referenced Message-IDs with their status and merges), sent together as ours sends them and
  read into the same objects (`inbox.selectors.inbound`);
- ours' own Python between the statements: the pipeline's stages with the context it gives them
  (`inbox.inbound.pipeline`'s recognition, attribution and validation context), routing, and the
  services' builders of the message's and the ticket's values and of the ledger's summary;
- one PL/pgSQL call writing every column ours writes: the contact when new or nameless, the
  round robin's next agent, the thread, the assignment event with its data, the ticket with the
  channel's defaults and its owner; for a reply the thread's UPDATE with the reopening, the end
  of a snooze and the ticket's status following the contact, each with its event; the message;
  the ledger's outcome, checking the claim;
- the notifications ours queues after commit (assigned, customer replied).

What it does not write (the small set never takes these paths): rejections, mail processed
anyway, duplicates, bounces, forwarding confirmations, test emails, contact-owner assignment,
attachments. It refuses them (`NotOnTheSmallPath`) before writing anything but the ledger row
and its claim. `tests/benchmarks/test_bound.py` checks that it stores the same rows as ours, on
a scenario of every rule and on random mail, and that it refuses the rest.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.utils import timezone
from psycopg.types.json import Jsonb

from helpdesk.db import binary_psycopg_results
from inbox.inbound import pipeline
from inbox.inbound import route as routing
from inbox.inbound.content import content_digest, content_for, snippet
from inbox.inbound.parse import parse
from inbox.inbound.validate import is_auto_reply, is_bounce, validate
from inbox.models import InboundEmail, Notification, Thread
from inbox.selectors import inbound as selectors
from inbox.services import inbound as services
from inbox.services.notifications import notify_later

FUNCTION = """
CREATE OR REPLACE FUNCTION bound_faithful(
  p_inbound bigint, p_attempts int, p_channel bigint, p_workspace bigint, p_now timestamptz,
  p_contact bigint, p_contact_email text, p_contact_name text,
  p_thread bigint, p_reopen boolean, p_contact_wrote boolean,
  p_rotate boolean, p_make_ticket boolean, p_ticket_pipeline text, p_ticket_status text,
  p_ticket_priority text, p_ticket_category text, p_ticket_name text,
  p_subject text, p_snippet text,
  p_message_id text, p_in_reply_to text, p_references text, p_from text, p_name text,
  p_forwarded_by text, p_via text, p_rule text, p_warnings jsonb, p_note text, p_to text,
  p_cc text, p_text text, p_html text, p_auto_reply boolean, p_bounce boolean, p_digest text,
  p_from_header text, p_ledger_subject text,
  OUT thread_id bigint, OUT assignee_id bigint) AS $$
DECLARE
  v_contact bigint := p_contact;
  v_woke text;
  v_ticket text;
  matched int;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  thread_id := p_thread;
  IF v_contact IS NULL AND p_contact_email <> '' THEN
    INSERT INTO inbox_contact AS existing (workspace_id, email, name, created_at)
    VALUES (p_workspace, p_contact_email, p_contact_name, now())
    ON CONFLICT (lower(email), workspace_id) DO UPDATE SET name = excluded.name
      WHERE existing.name = '' AND excluded.name <> ''
    RETURNING id INTO v_contact;
    IF v_contact IS NULL THEN
      SELECT id INTO v_contact FROM inbox_contact
      WHERE lower(email) = p_contact_email AND workspace_id = p_workspace;
    END IF;
  END IF;
  IF thread_id IS NULL THEN
    IF p_rotate THEN
      WITH eligible AS (
        SELECT a.user_id AS id FROM helpdesk_agent a JOIN auth_user u ON u.id = a.user_id
        WHERE a.workspace_id = p_workspace AND a.availability = 'available' AND u.is_active
          AND (a.user_id IN (SELECT user_id FROM channels_cfg_emailchannel_assign_users
                             WHERE emailchannel_id = p_channel)
               OR a.user_id IN (SELECT m.user_id FROM helpdesk_team_members m
                                JOIN channels_cfg_emailchannel_assign_teams t
                                ON t.team_id = m.team_id WHERE t.emailchannel_id = p_channel)))
      UPDATE channels_cfg_emailchannel c SET round_robin_last_user_id = COALESCE(
        (SELECT min(id) FROM eligible WHERE id > c.round_robin_last_user_id),
        (SELECT min(id) FROM eligible))
      WHERE c.id = p_channel AND EXISTS (SELECT 1 FROM eligible)
      RETURNING round_robin_last_user_id INTO assignee_id;
    END IF;
    INSERT INTO inbox_thread (workspace_id, channel_id, contact_id, subject, snippet, status,
      kind, is_spam, assigned_team_id, forwarding_confirmation_id, message_count, created_at,
      last_message_at, merged_into_id, snoozed_until, woke_reason, assignee_id)
    VALUES (p_workspace, p_channel, v_contact, p_subject, p_snippet, 'open', 'conversation',
      false, NULL, NULL, 1, now(), p_now, NULL, NULL, '', assignee_id)
    RETURNING id INTO thread_id;
    IF assignee_id IS NOT NULL THEN
      INSERT INTO inbox_threadevent (thread_id, workspace_id, kind, actor_id, at, data)
      VALUES (thread_id, p_workspace, 'assigned', NULL, p_now, jsonb_build_object(
        'assignee_id', assignee_id, 'team_id', NULL, 'from_assignee_id', NULL,
        'from_team_id', NULL, 'by', 'rule'));
    END IF;
    IF p_make_ticket THEN
      INSERT INTO inbox_ticket (thread_id, owner_id, name, pipeline, status, priority,
        category, created_at)
      VALUES (thread_id, assignee_id, p_ticket_name, p_ticket_pipeline, p_ticket_status,
        p_ticket_priority, p_ticket_category, now());
    END IF;
  ELSE
    UPDATE inbox_thread t SET message_count = t.message_count + 1,
      last_message_at = CASE WHEN t.last_message_at > p_now THEN t.last_message_at ELSE p_now END,
      snippet = p_snippet,
      status = CASE WHEN p_reopen THEN 'open' ELSE t.status END,
      woke_reason = CASE WHEN NOT p_contact_wrote THEN t.woke_reason
                         WHEN t.snoozed_until IS NULL THEN '' ELSE 'replied' END,
      snoozed_until = CASE WHEN p_contact_wrote THEN NULL ELSE t.snoozed_until END
    WHERE t.id = thread_id AND t.workspace_id = p_workspace
    RETURNING t.woke_reason, (SELECT k.status FROM inbox_ticket k WHERE k.thread_id = t.id)
    INTO v_woke, v_ticket;
    IF NOT FOUND THEN RAISE EXCEPTION 'thread % is gone', thread_id; END IF;
    IF p_reopen THEN
      INSERT INTO inbox_threadevent (thread_id, workspace_id, kind, actor_id, at, data)
      VALUES (thread_id, p_workspace, 'reopened', NULL, p_now, '{"by": "new_message"}');
    END IF;
    IF p_contact_wrote THEN
      IF v_woke = 'replied' THEN
        INSERT INTO inbox_threadevent (thread_id, workspace_id, kind, actor_id, at, data)
        VALUES (thread_id, p_workspace, 'woke', NULL, p_now,
                '{"reason": "replied", "until": null}');
      END IF;
      IF v_ticket IN ('waiting_on_contact', 'closed') THEN
        UPDATE inbox_ticket k SET status = 'waiting_on_us'
        WHERE k.thread_id = bound_faithful.thread_id AND k.status = v_ticket;
        IF FOUND THEN
          INSERT INTO inbox_threadevent (thread_id, workspace_id, kind, actor_id, at, data)
          VALUES (thread_id, p_workspace, 'ticket_changed', NULL, p_now, jsonb_build_object(
            'status', jsonb_build_object('from', v_ticket, 'to', 'waiting_on_us')));
        END IF;
      END IF;
    END IF;
  END IF;
  INSERT INTO inbox_message (thread_id, workspace_id, direction, message_id, in_reply_to,
    "references", from_email, from_name, forwarded_by, attributed_via, attribution_rule,
    sender_warnings, forwarder_note, "to", cc, subject, text, html, is_auto_reply, is_bounce,
    bounce_of_id, sent_by_id, delivery_status, delivery_error, delivery_attempts, sent_at,
    send_started_at, send_after, is_forward, content_digest, inbound_id, created_at)
  VALUES (thread_id, p_workspace, 'in', p_message_id, p_in_reply_to, p_references, p_from,
    p_name, p_forwarded_by, p_via, p_rule, p_warnings, p_note, p_to, p_cc, p_subject, p_text,
    p_html, p_auto_reply, p_bounce, NULL, NULL, '', '', 0, NULL, NULL, NULL, false, p_digest,
    p_inbound, p_now);
  UPDATE inbox_inboundemail SET status = 'accepted', reason_code = '', reason_detail = '',
    from_header = p_from_header, subject = p_ledger_subject, processed_at = p_now,
    channel_id = p_channel, workspace_id = p_workspace
  WHERE id = p_inbound AND status = 'processing' AND attempts = p_attempts;
  GET DIAGNOSTICS matched = ROW_COUNT;
  IF matched <> 1 THEN RAISE EXCEPTION 'claim lost'; END IF;
END $$ LANGUAGE plpgsql"""
CALL = "SELECT * FROM bound_faithful(" + ", ".join(["%s"] * 39) + ")"  # noqa: S608

# Ours' claim returns the row's fields (the pipeline reads its verdicts, size and skipped
# checks) and whether an earlier run already stored its message.
CLAIMED = (
    "raw, attempts, size, esp_verdicts, skip_checks, envelope_recipient, "
    "EXISTS(SELECT 1 FROM inbox_message m WHERE m.inbound_id = inbox_inboundemail.id)"
)


class NotOnTheSmallPath(Exception):
    """A mail whose path this contender does not write (the small set never takes it): refused
    before anything but the ledger row and its claim is written, never stored half-way."""


class Faithful:
    """On `bare`'s connection (autocommit, every statement prepared). Between its statements it
    runs ours' own Python: the pipeline's stages and the services' row builders, so that what
    differs from ours is only how the rows reach the database."""

    def __init__(self, bare: Any) -> None:
        self.bare, self.connection, self.recipient = bare, bare.connection, bare.recipient
        self.django = connections["default"]
        self.connection.execute(FUNCTION)

    def close(self) -> None:
        self.connection.execute("DROP FUNCTION bound_faithful")

    def _receive_and_claim(self, raw: bytes) -> InboundEmail:
        inbound = self.bare.receive(raw)
        claimed = self.bare.claim(inbound, CLAIMED)
        if claimed is None or claimed[-1]:
            raise NotOnTheSmallPath("a row claimed elsewhere or already stored")
        raw_mail, attempts, size, verdicts, skip_checks, recipient, _ = claimed
        return InboundEmail(
            pk=inbound, raw=raw_mail, attempts=attempts, size=size, esp_verdicts=verdicts,
            skip_checks=skip_checks, envelope_recipient=recipient,
        )  # fmt: skip

    def _lookup(
        self, parsed: Any, digest: str
    ) -> tuple[selectors.ChannelForDelivery, tuple[dict[str, int], frozenset[int]]]:
        """The product's two lookup statements, sent together (one round trip) and read as
        ours reads them."""
        referenced = routing.referenced_ids(parsed)
        alias = self.django.alias
        with self.connection.pipeline():
            if referenced:
                sql, params, ours = selectors.threads_statement(
                    alias, referenced, address=self.recipient
                )
                threads = binary_psycopg_results(self.connection.cursor()).execute(sql, params)
            sql, params = selectors.delivery_statement(
                alias, self.recipient, parsed.from_email, parsed.message_id, digest
            )
            channel = binary_psycopg_results(self.connection.cursor()).execute(sql, params)
        row = channel.fetchone()
        if row is None:
            raise NotOnTheSmallPath("no channel: a rejection")
        known = (
            selectors.threads_from_rows(threads.fetchall(), ours)
            if referenced
            else ({}, frozenset())
        )
        return selectors.delivery_from_row(row, self.django), known

    def store(self, raw: bytes) -> None:
        row = self._receive_and_claim(raw)
        now = timezone.now()
        parsed = parse(bytes(row.raw))
        digest = content_digest(parsed) if not parsed.malformed else ""
        delivery, (known, closed) = self._lookup(parsed, digest)
        channel = delivery.channel
        recognised = pipeline._recognise(parsed, channel)
        attribution = pipeline._attribution(parsed, channel)
        context = pipeline._validation_context(row, parsed, delivery, attribution, recognised)
        senders = tuple({parsed.from_email, attribution.from_email} - {""})
        if validate(parsed, context, senders) is not None or "auth_failed" in context.skip_checks:
            raise NotOnTheSmallPath("a rejection, or a mail processed anyway")
        auto_reply, bounce = is_auto_reply(parsed), is_bounce(parsed)
        if bounce or parsed.attachments:
            raise NotOnTheSmallPath("a bounce, or attachments")
        content = content_for(parsed, attribution, digest)
        decision = routing.route(
            parsed, attribution,
            routing.Candidates(
                thread_by_message_id=known, closed_thread_ids=closed,
                is_duplicate=delivery.is_duplicate, test_token=recognised.test_token,
            ),
            routing.ChannelRouting(channel.create_tickets, channel.auto_assign),
            is_auto_reply=auto_reply, is_bounce=bounce, confirmation=recognised.confirmation,
        )  # fmt: skip
        reply = isinstance(decision, routing.AppendToThread)
        if not (reply or isinstance(decision, routing.NewThread)):
            raise NotOnTheSmallPath(type(decision).__name__)
        new = decision if isinstance(decision, routing.NewThread) else None
        rotate = bool(new and new.auto_assign)
        if rotate and not services.assigns_round_robin(channel):
            raise NotOnTheSmallPath("contact-owner assignment")
        # Ours' own builders give every value: the message's columns, the ticket's defaults.
        thread = Thread(workspace_id=channel.workspace_id)
        message = services.message_for(
            row=row, thread=thread, parsed=parsed, attribution=attribution, content=content,
            is_auto_reply=auto_reply, is_bounce=bounce, bounce_of=None, now=now,
        )  # fmt: skip
        ticket = services.ticket_for(thread=thread, channel=channel, subject=content.subject)
        known_contact = delivery.sender_contact
        email, name = attribution.from_email.lower()[:320], attribution.from_name[:255]
        serves = known_contact is not None and services.known_contact_serves(
            known_contact, email=attribution.from_email, name=attribution.from_name
        )
        thread_id, assignee_id = self.connection.execute(
            CALL,
            (
                row.pk, row.attempts, channel.pk, channel.workspace_id, now,
                known_contact.pk if serves and known_contact else None, email, name,
                decision.thread_id if isinstance(decision, routing.AppendToThread) else None,
                isinstance(decision, routing.AppendToThread) and decision.reopen,
                not auto_reply, rotate, bool(new and new.make_ticket),
                ticket.pipeline, ticket.status, ticket.priority, ticket.category, ticket.name,
                content.subject[:998], snippet(content)[:200],
                message.message_id, message.in_reply_to, message.references,
                message.from_email, message.from_name, message.forwarded_by,
                message.attributed_via, message.attribution_rule,
                Jsonb(message.sender_warnings), message.forwarder_note, message.to, message.cc,
                message.text, message.html, auto_reply, bounce, digest,
                *services.ledger_summary(parsed),
            ),
        ).fetchone() or (0, None)  # fmt: skip
        if reply and not auto_reply:
            notify_later(
                thread_id=thread_id, kind=Notification.Kind.CUSTOMER_REPLIED, actor_id=None,
                data={"from": attribution.from_name or attribution.from_email},
            )  # fmt: skip
        elif assignee_id is not None:
            notify_later(
                thread_id=thread_id, kind=Notification.Kind.ASSIGNED, actor_id=None,
                data={"by": "rule"}, recipient_ids=[assignee_id], allow_email=True,
            )  # fmt: skip
