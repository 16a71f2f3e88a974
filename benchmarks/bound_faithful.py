"""`make bench-bound`'s **faithful** contender: `lean` made to do what ours does for small mail.

`lean` (bound.py) shows what a pipeline off the ORM, its writes in one PL/pgSQL call, could at
best come to, but it leaves out part of the product's work. This contender puts that work back,
to measure what such a rewrite would really cost, the rules included:

- the product's own lookup statements (the channel with its workspace and forwarding address,
  the blocked-list entry, the duplicate check and the sender's contact; the threads of the
  referenced Message-IDs with their status and merges), sent together as ours sends them and
  read as plain rows;
- the product's own pure stages with the context ours gives them: validation with the channel's
  status, spam threshold and blocked entry, attribution with the channel's rules (the trusted
  forwarders and colleague domains read when a mail may be a forward), routing with the closed
  threads, the stored content, snippet and sanitized HTML;
- one PL/pgSQL call writing every column ours writes: the contact when new or nameless, the
  round robin's next agent, the thread, the assignment event with its data, the ticket with the
  channel's defaults and its owner; for a reply the thread's UPDATE with the reopening, the end
  of a snooze and the ticket's status following the contact, each with its event; the message;
  the ledger's outcome, checking the claim;
- the notifications ours queues after commit (assigned, customer replied).

What it does not do (the small set never takes these paths, and it refuses them rather than
store them wrongly): rejections, duplicates, bounces, forwarding confirmations, test emails,
contact-owner assignment, attachments. `tests/benchmarks/test_bound.py` checks that it stores
the same rows as ours.
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

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


class Faithful:
    """On `bare`'s connection (autocommit, every statement prepared)."""

    def __init__(self, bare: Any) -> None:
        from django.db import connection

        from channels_cfg.models import EmailChannel, ForwardingAddress
        from helpdesk.models import Workspace
        from inbox.models import Contact

        self.bare, self.connection, self.recipient = bare, bare.connection, bare.recipient
        self.alias = connection.alias
        self.connection.execute(FUNCTION)
        # Where each value sits in the product's lookup row (its columns come model by model).
        offset, self.at = 0, {}
        for prefix, model in (
            ("c", EmailChannel), ("w", Workspace), ("f", ForwardingAddress),
            ("", None), ("", None), ("k", Contact),
        ):  # fmt: skip
            if model is None:
                offset += 1
                continue
            for field in model._meta.concrete_fields:
                self.at[f"{prefix}.{field.attname}"] = offset
                offset += 1
        self.blocked_at = self.at["f.locked_at"] + 1

    def close(self) -> None:
        self.connection.execute("DROP FUNCTION bound_faithful")

    def _receive_and_claim(self, raw: bytes) -> tuple[int, tuple[Any, ...]]:
        inbound = self.bare.receive(raw)
        claimed = self.bare.claim(inbound, CLAIMED)
        if claimed is None or claimed[-1]:
            raise NotImplementedError("a row claimed elsewhere or already stored")
        return inbound, claimed

    def _lookup(self, parsed: Any, digest: str) -> tuple[tuple[Any, ...], list[Any], dict]:
        """The product's two lookup statements, sent together: one round trip."""
        from helpdesk.mail_ids import thread_id_from_message_id
        from inbox.inbound.route import referenced_ids
        from inbox.selectors.inbound import _lookup_sql, _threads_sql, sender_candidates

        referenced = referenced_ids(parsed)
        ids = list(dict.fromkeys(referenced))[:100]
        ours = {m: t for m in ids if (t := thread_id_from_message_id(m)) is not None}
        named = sorted(set(ours.values()))
        sender = parsed.from_email
        candidates = sorted(sender_candidates((sender,))) if sender else []
        duplicate = [parsed.message_id, digest] if parsed.message_id else []
        with self.connection.pipeline():
            threads = (
                self.connection.cursor(binary=True).execute(
                    _threads_sql(self.alias, len(ids), len(named), by_address=True),
                    [*ids, self.recipient, *([self.recipient, *named] if named else [])],
                )
                if ids
                else None
            )
            channel = self.connection.cursor(binary=True).execute(
                _lookup_sql(self.alias, len(candidates), bool(parsed.message_id)),
                [*candidates, *duplicate, sender.strip().lower(), self.recipient],
            )
        row = channel.fetchone()
        if row is None:
            raise NotImplementedError("no channel: a rejection")
        return row, (threads.fetchall() if threads is not None else []), ours

    def store(self, raw: bytes) -> None:
        from django.conf import settings
        from django.utils import timezone

        from helpdesk.html_text import html_to_text
        from helpdesk.mail_ids import is_our_message_id, loop_header_value
        from helpdesk.mail_ids import test_token_from_message_id as test_token
        from inbox.inbound import route as routing
        from inbox.inbound.attribute import ChannelRules, attribute, may_be_forward
        from inbox.inbound.content import content_digest, content_for, snippet
        from inbox.inbound.parse import parse
        from inbox.inbound.sanitize import sanitize
        from inbox.inbound.validate import (
            ValidationContext,
            dmarc_aligned_pass,
            is_auto_reply,
            is_bounce,
            validate,
        )
        from inbox.models import Notification
        from inbox.selectors import inbound as selectors
        from inbox.selectors.inbound import _threads_from_rows
        from inbox.services.intake import max_mime_bytes
        from inbox.services.notifications import notify_later

        inbound, claimed = self._receive_and_claim(raw)
        parsed = parse(bytes(claimed[0]))
        digest = content_digest(parsed) if not parsed.malformed else ""
        row, thread_rows, ours = self._lookup(parsed, digest)
        at = self.at
        channel_id, workspace_id = row[at["c.id"]], row[at["c.workspace_id"]]
        status = row[at["c.status"]]
        is_draft = status == "draft"
        token = test_token(parsed.message_id) if parsed.message_id else None
        confirmation = (
            None
            if parsed.malformed
            else routing.forwarding_confirmation(parsed, from_any_sender=is_draft)
        )
        authserv_ids = frozenset(a.lower() for a in settings.INBOUND_AUTHSERV_IDS)
        may = may_be_forward(parsed)
        if may:  # rare on small mail: read as ours reads them
            from channels_cfg.models import EmailChannel

            channel = EmailChannel(pk=channel_id, workspace_id=workspace_id)
            trusted = selectors.trusted_forwarders_for(channel)
            colleagues = selectors.colleague_domains_for(channel)
        else:
            trusted = colleagues = frozenset()
        attribution = attribute(
            parsed,
            ChannelRules(
                attribute_to_forwarder=row[at["c.attribute_to"]] == "forwarder",
                trusted_forwarders=trusted, forwarding_address=self.recipient,
                colleague_domains=colleagues,
                sender_authenticated=may and dmarc_aligned_pass(parsed, authserv_ids),
            ),
        )  # fmt: skip
        blocked = {row[self.blocked_at]} if row[self.blocked_at] else set()
        if attribution.from_email and attribution.from_email != parsed.from_email:
            blocked |= selectors.blocked_values_matching(workspace_id, (attribution.from_email,))
        custom = row[at["c.custom_from_address"]]
        base = (
            settings.HOSTED_INBOX_DOMAIN
            if row[at["w.plan"]] == "paid"
            else settings.HOSTED_INBOX_FREE_DOMAIN
        )
        from_address = (
            custom
            if row[at["c.from_address_mode"]] == "custom" and custom
            else f"{row[at['c.default_from_username']] or 'support'}@{row[at['w.subdomain']]}.{base}"
        )
        context = ValidationContext(
            size=claimed[2], max_size=max_mime_bytes(),
            max_message_bytes=settings.INBOUND_MAX_MESSAGE_BYTES,
            envelope_recipient=claimed[5], channel_status=status, blocked=frozenset(blocked),
            spam_threshold=row[at["w.spam_threshold"]], esp_verdicts=claimed[3] or {},
            authserv_ids=authserv_ids,
            trusted_arc_sealers=frozenset(
                a.lower() for a in settings.INBOUND_TRUSTED_ARC_SEALERS
            ),
            loop_header_value=loop_header_value(),
            message_id_is_ours=bool(parsed.message_id) and is_our_message_id(parsed.message_id),
            our_from_addresses=frozenset({from_address.lower()}),
            skip_checks=frozenset(claimed[4] or ()),
            is_expected_in_draft=bool(token or confirmation), is_test_email=bool(token),
        )  # fmt: skip
        senders = tuple({parsed.from_email, attribution.from_email} - {""})
        if validate(parsed, context, senders) is not None:
            raise NotImplementedError("a rejection")
        auto_reply, bounce = is_auto_reply(parsed), is_bounce(parsed)
        if bounce:
            raise NotImplementedError("a bounce")
        content = content_for(parsed, attribution, digest)
        known, closed = _threads_from_rows(thread_rows, ours)
        decision = routing.route(
            parsed, attribution,
            routing.Candidates(
                thread_by_message_id=known, closed_thread_ids=closed,
                is_duplicate=bool(row[self.blocked_at + 1]), test_token=token,
            ),
            routing.ChannelRouting(row[at["c.create_tickets"]], row[at["c.auto_assign"]]),
            is_auto_reply=auto_reply, is_bounce=bounce, confirmation=confirmation,
        )  # fmt: skip
        if not isinstance(decision, routing.AppendToThread | routing.NewThread):
            raise NotImplementedError(type(decision).__name__)
        if parsed.attachments:
            raise NotImplementedError("attachments")
        reply = isinstance(decision, routing.AppendToThread)
        thread_id = decision.thread_id if isinstance(decision, routing.AppendToThread) else None
        reopen = isinstance(decision, routing.AppendToThread) and decision.reopen
        make_ticket = isinstance(decision, routing.NewThread) and decision.make_ticket
        rotate = isinstance(decision, routing.NewThread) and decision.auto_assign
        if rotate and row[at["c.assign_mode"]] == "contact_owner":
            raise NotImplementedError("contact-owner assignment")
        # The contact as ours finds it: read with the channel, written only if new or nameless.
        email, name = attribution.from_email.lower()[:320], attribution.from_name[:255]
        contact_id = row[at["k.id"]]
        if (
            contact_id is None
            or not email
            or row[at["k.email"]].lower() != email
            or (name and not row[at["k.name"]])
        ):
            contact_id = None
        html = sanitize(content.html)
        ticket_name = (content.subject or "(no subject)")[:998]
        thread_id, assignee_id = self.connection.execute(
            CALL,
            (
                inbound, claimed[1], channel_id, workspace_id, timezone.now(),
                contact_id, email, name,
                thread_id, reopen, not auto_reply,
                rotate, make_ticket, row[at["c.ticket_pipeline"]],
                row[at["c.ticket_status"]], row[at["c.ticket_priority"]],
                row[at["c.ticket_category"]], ticket_name,
                content.subject[:998], snippet(content)[:200],
                parsed.message_id, " ".join(parsed.in_reply_to)[:998],
                " ".join(parsed.references), attribution.from_email[:320],
                attribution.from_name[:255], attribution.forwarded_by[:320], attribution.via,
                attribution.rule[:100], Jsonb(list(attribution.warnings)),
                attribution.forwarder_note[:100_000], parsed.to, parsed.cc,
                content.text or html_to_text(html), html, auto_reply, bounce, digest,
                (parsed.header("from") or parsed.from_email)[:998], parsed.subject[:998],
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
