"""Routing and persistence: threads, assignment, tickets, confirmations, bounces, dedup."""

from __future__ import annotations

import pytest
from django.core import mail

from channels_cfg.models import ForwardingConfirmation
from helpdesk.mail_ids import make_outbound_message_id, make_test_message_id
from helpdesk.models import Agent
from inbox.inbound.pipeline import process_inbound_email
from inbox.models import Contact, InboundEmail, Message, Thread, Ticket
from inbox.presenters import present_message
from inbox.services.inbound import next_in_rotation
from tests.factories import AgentFactory, ContactFactory, MessageFactory, TeamFactory, ThreadFactory
from tests.inbox.pipeline.conftest import fixture_bytes

pytestmark = pytest.mark.django_db


def message_of(row: InboundEmail) -> Message:
    return Message.objects.select_related("thread").get(inbound=row)


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


def test_channel_without_tickets_makes_none(deliver, channel):
    channel.create_tickets = False
    channel.save()
    assert not Ticket.objects.filter(thread=message_of(deliver("plain.eml")).thread).exists()


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
    deliver("reply.eml")
    assert Thread.objects.get(pk=first.thread_id).status == Thread.Status.OPEN


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


@pytest.mark.parametrize(("last", "expected"), [(None, 1), (1, 5), (5, 9), (9, 1), (6, 9)])
def test_next_in_rotation_is_fair_and_wraps(last, expected):
    assert next_in_rotation([9, 1, 5], last) == expected


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
    from tests.factories import BlockedSenderFactory

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
    """RELIABILITY row 30: nothing the pipeline sends goes to the mail's sender; the only mail
    it may send is the away owner's notice, to the owner."""
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
