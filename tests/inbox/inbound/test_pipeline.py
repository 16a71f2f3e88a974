"""The pipeline end to end: a stored delivery goes through process_inbound_email against the
database. These prove the wiring (the facts the shell loads and passes to the stages) and what
applying a decision writes; the stages' own cases are tables in test_validate and test_route."""

from __future__ import annotations

import pytest
from django.core import mail

from channels_cfg.models import EmailChannel, ForwardingConfirmation
from helpdesk.mail_ids import (
    LOOP_HEADER,
    loop_header_value,
    make_outbound_message_id,
    make_test_message_id,
)
from helpdesk.models import Agent
from inbox.inbound import route as routing
from inbox.inbound.pipeline import process_inbound_email
from inbox.models import Contact, InboundEmail, Message, Thread, ThreadEvent, Ticket
from inbox.presenters import present_message
from tests.factories import (
    AgentFactory,
    BlockedSenderFactory,
    ContactFactory,
    EmailChannelFactory,
    ForwardingAddressFactory,
    MessageFactory,
    TeamFactory,
    ThreadFactory,
)
from tests.inbox.inbound.conftest import fixture_bytes

pytestmark = pytest.mark.django_db


def message_of(row: InboundEmail) -> Message:
    return Message.objects.select_related("thread").get(inbound=row)


def _auth(results: str, extra: str = "") -> bytes:
    return f"Authentication-Results: {results}\n{extra}".encode() + fixture_bytes("plain.eml")


# --- Validation: what the pipeline loads and passes in ------------------------------------


def test_mail_over_the_size_limit_is_rejected_as_too_large(deliver, settings):
    settings.INBOUND_MAX_MESSAGE_BYTES = 100
    # The cap is on the message; its MIME may be about 4/3 larger plus 1 MB of headroom.
    row = deliver(fixture_bytes("plain.eml") + b"x" * (1200 * 1024))
    assert (row.status, row.reason_code) == ("rejected", "too_large")
    assert "larger than" in row.reason_detail


def test_unknown_envelope_recipient_is_rejected_even_when_to_names_a_channel(deliver, channel):
    raw = fixture_bytes("plain.eml").replace(
        b"To: support@acme.example", f"To: {channel.forwarding_address.address}".encode()
    )
    row = deliver(raw, to="nobody@inbox.localhost")
    assert (row.status, row.reason_code) == ("rejected", "unknown_recipient")
    assert "nobody@inbox.localhost" in row.reason_detail


def test_envelope_recipient_decides_the_workspace_not_to(deliver, channel):
    other = EmailChannelFactory()
    ForwardingAddressFactory(channel=other)
    raw = fixture_bytes("plain.eml").replace(
        b"To: support@acme.example", f"To: {other.forwarding_address.address}".encode()
    )
    row = deliver(raw)
    assert row.status == "accepted" and row.workspace_id == channel.workspace_id
    assert Message.objects.get(inbound=row).workspace_id == channel.workspace_id


def test_draft_channel_rejects_ordinary_mail_but_accepts_forwarding_confirmations(deliver, channel):
    EmailChannel.objects.filter(pk=channel.pk).update(status=EmailChannel.Status.DRAFT)
    assert deliver("plain.eml").reason_code == "channel_draft"
    assert deliver("gmail_confirmation.eml").status == "accepted"


def test_blocked_original_sender_of_a_forward_is_rejected(deliver, channel, agent):
    agent.user.email = "agent@acme.example"
    agent.user.save()
    BlockedSenderFactory(workspace=channel.workspace, value="client.example")
    assert deliver("gmail_forward.eml").reason_code == "blocked_sender"


def test_blocked_sender_in_another_workspace_does_not_apply(deliver):
    BlockedSenderFactory(value="customer.example")
    assert deliver("plain.eml").status == "accepted"


def test_spam_score_below_the_threshold_is_accepted(deliver, channel):
    channel.workspace.spam_threshold = 9
    channel.workspace.save()
    verdicts = {"spam_detected": None, "spam_score": 7.5, "verdict_source": "esp"}
    assert deliver("plain.eml", esp_verdicts=verdicts).status == "accepted"


def test_dmarc_fail_reported_by_our_authserv_id_is_rejected(deliver, settings):
    settings.INBOUND_AUTHSERV_IDS = ["mx.ours.example"]
    raw = _auth("mx.ours.example; spf=fail smtp.mailfrom=customer.example; dkim=none; dmarc=fail")
    row = deliver(raw)
    assert (row.status, row.reason_code) == ("rejected", "auth_failed")


def test_dmarc_fail_after_forwarding_with_a_trusted_arc_seal_is_accepted(deliver, settings):
    settings.INBOUND_AUTHSERV_IDS = ["mx.ours.example"]
    raw = _auth(
        "mx.ours.example; spf=softfail; dkim=fail; arc=pass; dmarc=fail",
        "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=google.com; s=arc-20160816; b=abc\n",
    )
    assert deliver(raw).status == "accepted"
    raw = _auth(
        "mx.ours.example; spf=softfail; dkim=fail; arc=pass; dmarc=fail",
        "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=sketchy.example; s=x; b=abc\n",
    )
    assert deliver(raw).reason_code == "auth_failed"


def test_our_loop_header_is_rejected_as_loop(deliver):
    raw = f"{LOOP_HEADER}: {loop_header_value()}\n".encode() + fixture_bytes("plain.eml")
    row = deliver(raw)
    assert (row.status, row.reason_code) == ("rejected", "loop")


def test_our_own_signed_message_id_coming_back_is_a_loop(deliver):
    ours = make_outbound_message_id(thread_id=42, domain="acme.inbox.localhost")
    raw = fixture_bytes("plain.eml").replace(b"<plain-1@customer.example>", ours.encode())
    assert deliver(raw).reason_code == "loop"


def test_control_headers_cannot_trigger_a_loop_or_assignment(deliver):
    row = deliver("control_headers.eml")
    assert row.status == "accepted"
    assert Message.objects.get(inbound=row).thread.assignee_id is None


def test_malformed_mail_is_stored_and_rejected_with_a_reason(deliver):
    raw = b"\xef\xbb\xbf\x00\x01binary junk"
    row = deliver(raw)
    assert (row.status, row.reason_code) == ("rejected", "malformed")
    assert bytes(row.raw) == raw


def test_dmarc_failure_processed_anyway_is_marked_unverified(deliver, channel):
    row = deliver("plain.eml", esp_verdicts={"dmarc_verdict": "fail", "verdict_source": "esp"})
    assert row.reason_code == "auth_failed"
    InboundEmail.objects.filter(pk=row.pk).update(status="received", skip_checks=["auth_failed"])
    process_inbound_email(row.pk)
    message = Message.objects.get(inbound_id=row.pk)
    assert any("not verified" in warning for warning in message.sender_warnings)


def test_forged_gmail_confirmation_failing_dmarc_is_rejected(deliver, channel):
    EmailChannel.objects.filter(pk=channel.pk).update(status=EmailChannel.Status.DRAFT)
    verdicts = {"dmarc_verdict": "fail", "verdict_source": "esp"}
    row = deliver("gmail_confirmation.eml", esp_verdicts=verdicts)
    assert row.reason_code == "auth_failed"
    assert not ForwardingConfirmation.objects.exists()


# --- Routing: applying the decision through the services ----------------------------------


def test_new_mail_makes_a_thread_a_contact_and_a_ticket_with_channel_defaults(deliver, channel):
    channel.ticket_priority, channel.ticket_category = "high", "billing"
    channel.save()
    row = deliver("plain.eml")
    message = message_of(row)
    assert row.status == "accepted" and row.channel_id == channel.pk
    assert message.thread.contact.email == "carla@customer.example"
    assert message.thread.contact.name == "Carla Customer"
    ticket = Ticket.objects.get(thread=message.thread)
    assert (ticket.name, ticket.priority, ticket.category) == (
        "Printer is on fire",
        "high",
        "billing",
    )
    assert message.attributed_via == "from_header"


def test_contact_is_reused_by_normalized_address_and_its_name_filled(deliver, channel):
    ContactFactory(workspace=channel.workspace, email="Carla@Customer.example", name="")
    deliver("plain.eml")
    contact = Contact.objects.get(workspace=channel.workspace)
    assert contact.name == "Carla Customer"


def test_reply_threads_by_in_reply_to_not_by_subject(deliver):
    first = message_of(deliver("plain.eml"))
    reply = message_of(deliver("reply.eml"))
    assert reply.thread_id == first.thread_id
    assert Thread.objects.get(pk=first.thread_id).message_count == 2
    same_subject = message_of(deliver("same_subject_no_refs.eml"))
    assert same_subject.thread_id != first.thread_id


def test_reply_to_our_signed_outbound_id_threads_even_with_references_cut(deliver, channel):
    thread = ThreadFactory(workspace=channel.workspace)
    ours = make_outbound_message_id(thread_id=thread.pk, domain="acme.example")
    raw = fixture_bytes("reply.eml").replace(b"<plain-1@customer.example>", ours.encode())
    assert message_of(deliver(raw)).thread_id == thread.pk


def test_forged_or_foreign_thread_id_does_not_thread(deliver, channel):
    foreign = ThreadFactory()  # another workspace
    ours = make_outbound_message_id(thread_id=foreign.pk, domain="acme.example")
    raw = fixture_bytes("reply.eml").replace(b"<plain-1@customer.example>", ours.encode())
    assert message_of(deliver(raw)).thread_id != foreign.pk
    forged = f"<hd.t{foreign.pk}.abc.0123456789abcdef@acme.example>"
    raw = fixture_bytes("reply.eml").replace(b"<plain-1@customer.example>", forged.encode())
    raw = raw.replace(b"reply-1@", b"reply-2@")
    assert message_of(deliver(raw)).thread_id != foreign.pk


def test_inbound_mail_never_becomes_an_agent_message(deliver, channel, agent):
    thread = ThreadFactory(workspace=channel.workspace)
    ours = make_outbound_message_id(thread_id=thread.pk, domain="acme.example")
    raw = fixture_bytes("reply.eml").replace(b"<plain-1@customer.example>", ours.encode())
    raw = raw.replace(b"carla@customer.example", agent.user.email.encode())
    message = message_of(deliver(raw))
    assert message.direction == Message.Direction.IN and message.sent_by_id is None


def test_new_message_reopens_a_closed_thread_but_an_auto_reply_does_not(deliver):
    first = message_of(deliver("plain.eml"))
    Thread.objects.filter(pk=first.thread_id).update(status=Thread.Status.CLOSED)
    ooo = message_of(deliver("auto_reply.eml"))
    assert ooo.is_auto_reply and ooo.thread_id == first.thread_id
    assert Thread.objects.get(pk=first.thread_id).status == Thread.Status.CLOSED
    assert not ThreadEvent.objects.filter(thread_id=first.thread_id).exists()
    deliver("reply.eml")
    assert Thread.objects.get(pk=first.thread_id).status == Thread.Status.OPEN
    # Reports see the reopening: one event, by the system.
    events = ThreadEvent.objects.filter(thread_id=first.thread_id)
    assert list(events.values_list("kind", "actor_id")) == [(ThreadEvent.Kind.REOPENED, None)]


def test_auto_reply_on_a_new_thread_gets_no_ticket_and_no_assignment(deliver, channel, agent):
    channel.auto_assign = True
    channel.save()
    channel.assign_users.add(agent.user)
    message = message_of(deliver("auto_reply.eml"))
    assert message.is_auto_reply
    assert message.thread.assignee_id is None
    assert not Ticket.objects.filter(thread=message.thread).exists()


def test_round_robin_rotates_over_available_users_and_team_members(deliver, channel, workspace):
    a, b, away = (AgentFactory(workspace=workspace) for _ in range(3))
    Agent.objects.filter(pk=away.pk).update(availability=Agent.Availability.AWAY)
    team = TeamFactory(workspace=workspace)
    team.members.add(b.user, away.user)
    channel.auto_assign = True
    channel.save()
    channel.assign_users.add(a.user)
    channel.assign_teams.add(team)
    assignees = []
    for n in range(4):
        raw = fixture_bytes("plain.eml").replace(b"plain-1@", f"rr-{n}@".encode())
        assignees.append(message_of(deliver(raw)).thread.assignee_id)
    first, second = sorted([a.user_id, b.user_id])
    assert assignees == [first, second, first, second]
    channel.refresh_from_db()
    assert channel.round_robin_last_user_id == second


def test_round_robin_with_nobody_available_leaves_the_thread_unassigned(deliver, channel, agent):
    Agent.objects.filter(pk=agent.pk).update(availability=Agent.Availability.AWAY)
    channel.auto_assign = True
    channel.save()
    channel.assign_users.add(agent.user)
    assert message_of(deliver("plain.eml")).thread.assignee_id is None


@pytest.mark.parametrize(
    ("last", "expected"), [(None, 0), (0, 1), (1, 3), (2, 3), (3, 0), ("above", 0)]
)
def test_round_robin_takes_the_next_available_agent_by_id_and_wraps(
    deliver, channel, last, expected
):
    # Agents 0, 1 and 3 take mail; 2 is away, 4 is inactive, 5 is in no team or list of the channel.
    agents = [AgentFactory(workspace=channel.workspace) for _ in range(6)]
    Agent.objects.filter(pk=agents[2].pk).update(availability=Agent.Availability.AWAY)
    agents[4].user.is_active = False
    agents[4].user.save()
    team = TeamFactory(workspace=channel.workspace)
    team.members.add(agents[3].user, agents[4].user)
    channel.assign_users.add(agents[0].user, agents[1].user, agents[2].user)
    channel.assign_teams.add(team)
    channel.auto_assign = True
    channel.round_robin_last_user_id = (
        None
        if last is None
        else agents[-1].user_id + 1
        if last == "above"
        else agents[last].user_id
    )
    channel.save()
    thread = message_of(deliver("plain.eml")).thread
    assert thread.assignee_id == agents[expected].user_id
    event = ThreadEvent.objects.get(thread=thread)  # the rule's assignment, for reports
    assert (event.kind, event.actor_id, event.data["assignee_id"]) == (
        ThreadEvent.Kind.ASSIGNED, None, agents[expected].user_id,
    )  # fmt: skip
    channel.refresh_from_db()
    assert channel.round_robin_last_user_id == agents[expected].user_id


def test_contact_owner_gets_the_thread_and_an_email_when_away(
    deliver, channel, agent, django_capture_on_commit_callbacks
):
    Agent.objects.filter(pk=agent.pk).update(availability=Agent.Availability.AWAY)
    ContactFactory(workspace=channel.workspace, email="carla@customer.example", owner=agent.user)
    channel.auto_assign, channel.assign_mode = True, "contact_owner"
    channel.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        thread = message_of(deliver("plain.eml")).thread
    assert thread.assignee_id == agent.user_id
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [agent.user.email]
    assert f"/inbox/threads/{thread.pk}/" in mail.outbox[0].body
    assert mail.outbox[0].extra_headers["X-Loop"]


def test_contact_owner_outside_the_workspace_is_not_assigned(deliver, channel):
    stranger = AgentFactory()  # an agent of another workspace
    ContactFactory(workspace=channel.workspace, email="carla@customer.example", owner=stranger.user)
    channel.auto_assign, channel.assign_mode = True, "contact_owner"
    channel.save()
    assert message_of(deliver("plain.eml")).thread.assignee_id is None


@pytest.mark.parametrize(
    ("fixture", "code", "requested_by"),
    [
        ("gmail_confirmation.eml", "123456789", "owner@gmail.example"),
        ("gmail_confirmation_es.eml", "987654321", "dueña@gmail.example"),
    ],
)
def test_gmail_forwarding_confirmation_is_recorded_without_ticket(
    deliver, channel, fixture, code, requested_by
):
    row = deliver(fixture)
    confirmation = ForwardingConfirmation.objects.get(channel=channel)
    assert (confirmation.provider, confirmation.code) == ("gmail", code)
    assert confirmation.confirm_url.startswith("https://mail-settings.google.com/mail/vf-")
    if "ñ" not in requested_by:
        assert confirmation.requested_by == requested_by
    thread = message_of(row).thread
    assert thread.kind == Thread.Kind.FORWARDING_CONFIRMATION
    assert thread.assignee_id is None and not Ticket.objects.filter(thread=thread).exists()


def test_a_forwarding_confirmation_is_recognised_once_per_delivery(deliver, monkeypatch):
    calls = []
    recognise = routing.forwarding_confirmation

    def counted(parsed, **kwargs):
        calls.append(parsed.message_id)
        return recognise(parsed, **kwargs)

    monkeypatch.setattr(routing, "forwarding_confirmation", counted)
    assert deliver("gmail_confirmation.eml").status == "accepted"
    assert calls == ["<conf-1@google.com>"]


def test_returning_test_email_marks_the_channel_even_with_our_loop_header(deliver, channel):
    channel.test_email_token = "tok123"
    channel.status = "draft"
    channel.save()
    test_id = make_test_message_id(token="tok123", domain="acme.inbox.localhost")
    raw = (
        f"X-Loop: helpdesk@inbox.localhost\nFrom: Support <{channel.from_address}>\n"
        f"Subject: Test email\nMessage-ID: {test_id}\n\nIt works.\n"
    ).encode()
    row = deliver(raw)
    assert row.status == "accepted"
    channel.refresh_from_db()
    assert channel.test_email_received_at is not None


def test_bounce_links_to_our_outbound_message_and_marks_it_failed(deliver, channel):
    thread = ThreadFactory(workspace=channel.workspace)
    ours = make_outbound_message_id(thread_id=thread.pk, domain="acme.example")
    outbound = MessageFactory(
        thread=thread, direction=Message.Direction.OUT, message_id=ours, delivery_status="sent"
    )
    row = deliver(fixture_bytes("dsn.eml").replace(b"OUR_MESSAGE_ID", ours.encode()))
    bounce = message_of(row)
    assert bounce.is_bounce and bounce.bounce_of_id == outbound.pk
    assert bounce.thread_id == thread.pk
    outbound.refresh_from_db()
    assert outbound.delivery_status == Message.DeliveryStatus.FAILED
    assert not Ticket.objects.filter(thread=thread).exists()


def test_same_message_id_and_content_is_a_duplicate_but_other_content_is_not(deliver):
    assert deliver("plain.eml").status == "accepted"
    again = deliver("plain.eml")
    assert (again.status, again.reason_code) == ("duplicate", "duplicate")
    other = deliver(fixture_bytes("plain.eml").replace(b"on fire", b"smoking"))
    assert other.status == "accepted"
    assert Message.objects.filter(message_id="<plain-1@customer.example>").count() == 2


def test_rerunning_the_pipeline_on_a_row_changes_nothing(deliver):
    row = deliver("plain.eml")
    InboundEmail.objects.filter(pk=row.pk).update(status=InboundEmail.Status.PROCESSING)
    process_inbound_email(row.pk)
    process_inbound_email(row.pk)
    assert Message.objects.count() == 1 and Thread.objects.count() == 1
    row.refresh_from_db()
    assert row.status == "accepted"


def test_attachments_are_stored_with_sizes_and_cid_images_show_on_the_thread_page(
    deliver, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    message = message_of(deliver("html_hostile.eml"))
    attachments = {a.filename: a for a in message.attachments.all()}
    assert set(attachments) == {"logo.png", "report.pdf"}
    assert attachments["report.pdf"].size == 9
    assert attachments["report.pdf"].content_type == "application/pdf"
    assert attachments["report.pdf"].file.read() == b"%PDF-1.4\n"
    # The stored HTML keeps the cid: reference; the thread page embeds the image from the
    # message's own attachment (the sandboxed frame can load nothing else).
    assert 'src="cid:' in message.html
    srcdoc = present_message(message, image_origin="http://testserver").body.srcdoc
    assert 'src="data:image/png;base64,' in srcdoc


def test_forward_is_stored_with_the_forwarded_body_note_and_how_it_was_attributed(deliver, agent):
    agent.user.email = "agent@acme.example"
    agent.user.save()
    message = message_of(deliver("gmail_forward.eml"))
    assert (message.from_email, message.attributed_via) == ("olga@client.example", "gmail_forward")
    assert message.forwarded_by == "agent@acme.example"
    assert message.forwarder_note == "Can you handle this one?"
    assert message.text.strip() == "Why was I charged twice?"
    assert message.thread.contact.email == "olga@client.example"


def test_forward_from_a_mailbox_that_confirmed_forwarding_is_believed(deliver, channel):
    ForwardingConfirmation.objects.create(
        channel=channel, provider="gmail", requested_by="team@acme.example",
        received_at="2026-11-01T00:00:00Z",
    )  # fmt: skip
    raw = fixture_bytes("gmail_forward.eml").replace(b"agent@acme.example>", b"team@acme.example>")
    assert message_of(deliver(raw)).from_email == "olga@client.example"


def test_sender_warnings_are_stored_on_the_message(deliver):
    message = message_of(deliver("display_name_spoof.eml"))
    assert message.from_email == "x@evil.example"
    assert any("contains an address" in warning for warning in message.sender_warnings)


def test_channel_last_inbound_at_is_marked(deliver, channel):
    assert channel.last_inbound_at is None
    deliver("plain.eml")
    channel.refresh_from_db()
    assert channel.last_inbound_at is not None


def test_process_anyway_skips_only_the_check_that_refused_it(deliver, channel):
    BlockedSenderFactory(workspace=channel.workspace, value="customer.example")
    row = deliver("plain.eml")
    assert row.reason_code == "blocked_sender"
    InboundEmail.objects.filter(pk=row.pk).update(status="received", skip_checks=["blocked_sender"])
    process_inbound_email(row.pk)
    row.refresh_from_db()
    assert row.status == "accepted"


def test_thread_page_shows_who_forwarded_and_how_it_was_attributed(deliver, agent, agent_client):
    agent.user.email = "agent@acme.example"
    agent.user.save()
    message = message_of(deliver("gmail_forward.eml"))
    page = agent_client.get(f"/inbox/threads/{message.thread_id}/").content.decode()
    assert "forwarded by agent@acme.example" in page
    assert "attributed via a Gmail forward" in page and "Can you handle this one?" in page


def test_forward_makes_a_ticket_named_by_the_original_subject(deliver, agent):
    agent.user.email = "agent@acme.example"
    agent.user.save()
    thread = message_of(deliver("gmail_forward.eml")).thread
    assert thread.subject == "Invoice question"
    assert Ticket.objects.get(thread=thread).name == "Invoice question"


def test_html_only_mail_gets_a_text_snippet(deliver):
    thread = message_of(deliver("outlook_forward_html_fr.eml")).thread
    assert thread.snippet.startswith("Voir ci-dessous.")


def test_unlinked_bounce_makes_no_contact_and_no_ticket(deliver):
    message = message_of(deliver("dsn.eml"))
    assert message.is_bounce and message.bounce_of_id is None
    assert message.thread.contact_id is None
    assert not Contact.objects.exists() and not Ticket.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        "Return-Path: <>\n",  # a null envelope sender (RFC 3834 forbids answering it)
        "Return-Path: <>\nAuto-Submitted: auto-replied\n",
    ],
)
def test_mail_from_a_null_envelope_sender_is_never_answered(
    deliver, channel, agent, django_capture_on_commit_callbacks, headers
):
    """docs/reliability.md, "Nothing answers a sender automatically": nothing the pipeline sends
    goes to the mail's sender; the only mail it may send is the away owner's notice, to the
    owner."""
    Agent.objects.filter(pk=agent.pk).update(availability=Agent.Availability.AWAY)
    ContactFactory(workspace=channel.workspace, email="robot@customer.example", owner=agent.user)
    channel.auto_assign, channel.assign_mode = True, "contact_owner"
    channel.save()
    raw = (
        f"{headers}From: Robot <robot@customer.example>\nTo: {channel.forwarding_address.address}\n"
        "Subject: Delivery report\nMessage-ID: <null-sender@customer.example>\n\nReport.\n"
    ).encode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        row = deliver(raw)
    assert row.status == "accepted"
    recipients = [address for sent in mail.outbox for address in sent.recipients()]
    assert "robot@customer.example" not in recipients
    assert set(recipients) <= {agent.user.email}


# --- Forwards by their shape, delivered as an agent's forward ------------------------------


@pytest.fixture
def forwarding_agent(agent):
    agent.user.email = "agent@acme.example"
    agent.user.save()
    return agent


@pytest.mark.parametrize(
    ("fixture", "sender", "via", "rule"),
    [
        ("yahoo_forward_glued.eml", "olga@client.example", "yahoo_forward", "From label"),
        (
            "outlook2019_wrote_forward.eml",
            "paul@payer.example",
            "quoted_forward",
            "'wrote:' line under a forward's subject",
        ),
        (
            "thunderbird_forward_html_only.eml",
            "lena@lamps.example",
            "thunderbird_forward",
            "From label",
        ),
        ("outlook_forward_fr_spaced.eml", "julien@devis.example", "outlook_forward", "From label"),
    ],
)
def test_an_agents_forward_of_each_shape_is_filed_under_its_original_sender(
    deliver, forwarding_agent, fixture, sender, via, rule
):
    message = message_of(deliver(fixture))
    assert (message.from_email, message.attributed_via, message.attribution_rule) == (
        sender,
        via,
        rule,
    )
    assert message.forwarded_by == "agent@acme.example"
    assert message.thread.contact.email == sender
    assert message.forwarder_note and sender not in message.text


def test_a_forward_naming_no_address_stays_with_the_agent_and_says_so(
    deliver, forwarding_agent, agent_client
):
    message = message_of(deliver("forward_name_without_address.eml"))
    assert (message.from_email, message.attributed_via) == (
        "agent@acme.example",
        "forward_without_address",
    )
    assert message.sender_warnings == ["forwarded from John Doe, no address given"]
    assert "Call me back please." in message.text  # the mail is kept whole
    page = agent_client.get(f"/inbox/threads/{message.thread_id}/").content.decode()
    assert "forwarded from John Doe, no address given" in page


def test_a_quoted_reply_under_re_is_never_attributed_to_the_quoted_sender(
    deliver, forwarding_agent
):
    message = message_of(deliver("reply_quoting_wrote.eml"))
    assert (message.from_email, message.attributed_via) == ("agent@acme.example", "from_header")
    assert not Contact.objects.filter(email="paul@payer.example").exists()


def test_thread_page_says_which_rule_found_the_sender(deliver, forwarding_agent, agent_client):
    message = message_of(deliver("outlook2019_wrote_forward.eml"))
    page = agent_client.get(f"/inbox/threads/{message.thread_id}/").content.decode()
    assert (
        "attributed via the quoted message of a forward (&#x27;wrote:&#x27; line under a "
        "forward&#x27;s subject)" in page
    )


# --- Colleagues at the team's own domain --------------------------------------------------

COLLEAGUE_FORWARD = fixture_bytes("gmail_forward.eml").replace(
    b"From: Agent Smith <agent@acme.example>", b"From: Carol Colleague <carol@acme.example>"
)
OUR_DKIM_PASS = b"Authentication-Results: mx.ours.example; dkim=pass header.d=acme.example\n"


@pytest.fixture
def team_at_acme(channel, settings):
    settings.INBOUND_AUTHSERV_IDS = ["mx.ours.example"]
    channel.team_address = "support@acme.example"
    channel.save()
    return channel


def test_an_authenticated_colleagues_forward_is_believed(deliver, team_at_acme):
    message = message_of(deliver(OUR_DKIM_PASS + COLLEAGUE_FORWARD))
    assert (message.from_email, message.forwarded_by) == (
        "olga@client.example",
        "carol@acme.example",
    )


def test_a_colleagues_forward_without_authentication_stays_theirs(deliver, team_at_acme):
    assert message_of(deliver(COLLEAGUE_FORWARD)).from_email == "carol@acme.example"
    forged = b"Authentication-Results: mx.theirs.example; dkim=pass header.d=acme.example\n"
    again = forged + COLLEAGUE_FORWARD.replace(b"<gmail-fwd-1@", b"<gmail-fwd-2@")
    assert message_of(deliver(again)).from_email == "carol@acme.example"


def test_a_colleague_at_a_shared_provider_is_never_believed(deliver, team_at_acme):
    EmailChannel.objects.filter(pk=team_at_acme.pk).update(team_address="support.acme@gmail.com")
    raw = COLLEAGUE_FORWARD.replace(b"carol@acme.example", b"carol@gmail.com")
    gmail_pass = b"Authentication-Results: mx.ours.example; dkim=pass header.d=gmail.com\n"
    assert message_of(deliver(gmail_pass + raw)).from_email == "carol@gmail.com"
