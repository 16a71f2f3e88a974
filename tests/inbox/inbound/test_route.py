"""Routing (inbox.inbound.route) as tables: what a mail becomes given the threads it refers to and
the channel's rules. No database: the deliveries that apply these decisions through the services
are in test_pipeline."""

from __future__ import annotations

import pytest

from inbox.inbound.attribute import Attribution
from inbox.inbound.parse import parse
from inbox.inbound.route import (
    AppendToThread,
    Candidates,
    ChannelRouting,
    Duplicate,
    ForwardingConfirmation,
    NewThread,
    forwarding_confirmation,
    referenced_ids,
    route,
    thread_for,
)
from inbox.inbound.route import TestEmailReturned as ReturnedTestEmail  # not a test class
from inbox.inbound.validate import is_auto_reply, is_bounce
from tests.inbox.inbound.conftest import fixture_bytes

FIRST = "<plain-1@customer.example>"  # what reply.eml and auto_reply.eml answer
TICKETS = ChannelRouting(create_tickets=True, auto_assign=False)
CONFIRMATION = ForwardingConfirmation("gmail", "owner@gmail.example", "123456789", "https://x")


@pytest.mark.parametrize(
    ("fixture", "candidates", "channel", "confirmation", "decision"),
    [
        pytest.param(
            "plain.eml", Candidates({}), TICKETS, None,
            NewThread(make_ticket=True, auto_assign=False, flagged=False),
            id="new-mail-makes-a-ticket",
        ),
        pytest.param(
            "plain.eml", Candidates({}), ChannelRouting(create_tickets=False, auto_assign=True),
            None, NewThread(make_ticket=False, auto_assign=True, flagged=False),
            id="channel-without-tickets-makes-none",
        ),
        pytest.param(
            "reply.eml", Candidates({FIRST: 7}), TICKETS, None, AppendToThread(7, reopen=False),
            id="reply-threads-by-in-reply-to-not-by-subject",
        ),
        pytest.param(
            "same_subject_no_refs.eml", Candidates({FIRST: 7}), TICKETS, None,
            NewThread(make_ticket=True, auto_assign=False, flagged=False),
            id="same-subject-without-references-is-a-new-thread",
        ),
        pytest.param(
            "reply.eml", Candidates({FIRST: 7}, closed_thread_ids=frozenset({7})), TICKETS, None,
            AppendToThread(7, reopen=True),
            id="reply-reopens-a-closed-thread",
        ),
        pytest.param(
            "auto_reply.eml", Candidates({FIRST: 7}, closed_thread_ids=frozenset({7})), TICKETS,
            None, AppendToThread(7, reopen=False),
            id="auto-reply-leaves-a-closed-thread-closed",
        ),
        pytest.param(
            "auto_reply.eml", Candidates({}), ChannelRouting(create_tickets=True, auto_assign=True),
            None, NewThread(make_ticket=False, auto_assign=False, flagged=True),
            id="auto-reply-on-a-new-thread-no-ticket-no-assignment",
        ),
        pytest.param(
            "dsn.eml", Candidates({}, bounce_thread_id=9), TICKETS, None,
            AppendToThread(9, reopen=False),
            id="bounce-joins-the-thread-of-the-message-it-reports-on",
        ),
        pytest.param(
            "dsn.eml", Candidates({}), ChannelRouting(create_tickets=True, auto_assign=True), None,
            NewThread(make_ticket=False, auto_assign=False, flagged=True),
            id="unlinked-bounce-no-ticket-no-assignment",
        ),
        pytest.param(
            "plain.eml", Candidates({}, test_token="tok123", is_duplicate=True), TICKETS,
            CONFIRMATION, ReturnedTestEmail("tok123"),
            id="returning-test-email-comes-first",
        ),
        pytest.param(
            "gmail_confirmation.eml", Candidates({}, is_duplicate=True), TICKETS, CONFIRMATION,
            CONFIRMATION,
            id="forwarding-confirmation-is-recorded-not-threaded",
        ),
        pytest.param(
            "plain.eml", Candidates({}, is_duplicate=True), TICKETS, None, Duplicate(FIRST),
            id="same-message-id-and-content-is-a-duplicate",
        ),
    ],
)  # fmt: skip
def test_route(fixture, candidates, channel, confirmation, decision):
    parsed = parse(fixture_bytes(fixture))
    attribution = Attribution(parsed.from_email, parsed.from_name, "from_header")
    found = route(
        parsed,
        attribution,
        candidates,
        channel,
        is_auto_reply=is_auto_reply(parsed),
        is_bounce=is_bounce(parsed),
        confirmation=confirmation,
    )
    assert found == decision


def test_referenced_ids_put_in_reply_to_first_then_references_from_the_newest():
    parsed = parse(b"From: a@b.example\nIn-Reply-To: <c@x>\nReferences: <a@x> <b@x> <c@x>\n\nHi.\n")
    assert referenced_ids(parsed) == ("<c@x>", "<b@x>", "<a@x>")


@pytest.mark.parametrize(
    ("known", "thread"),
    [({"<b@x>": 2, "<a@x>": 1}, 2), ({"<a@x>": 1}, 1), ({"<other@x>": 3}, None), ({}, None)],
)
def test_the_most_specific_known_reference_names_the_thread(known, thread):
    parsed = parse(b"From: a@b.example\nReferences: <a@x> <b@x>\n\nHi.\n")
    assert thread_for(parsed, known) == thread


@pytest.mark.parametrize(
    ("fixture", "code", "requested_by", "link"),
    [
        (
            "gmail_confirmation.eml",
            "123456789",
            "owner@gmail.example",
            "https://mail-settings.google.com/mail/vf-%5BANGjdJ_abc%5D-xyz",
        ),
        (
            "gmail_confirmation_es.eml",
            "987654321",
            None,  # the address in the subject is not ASCII: whatever is found, the code counts
            "https://mail-settings.google.com/mail/vf-%5BANGjdJ_def%5D-uvw",
        ),
    ],
)
@pytest.mark.parametrize("from_any_sender", [False, True])
def test_gmail_forwarding_confirmation_gives_its_code_requester_and_link(
    fixture, code, requested_by, link, from_any_sender
):
    found = forwarding_confirmation(parse(fixture_bytes(fixture)), from_any_sender=from_any_sender)
    assert found is not None
    assert (found.provider, found.code, found.confirm_url) == ("gmail", code, link)
    if requested_by is not None:
        assert found.requested_by == requested_by


@pytest.mark.parametrize("fixture", ["plain.eml", "reply.eml", "dsn.eml", "gmail_forward.eml"])
@pytest.mark.parametrize("from_any_sender", [False, True])
def test_ordinary_mail_is_no_forwarding_confirmation(fixture, from_any_sender):
    parsed = parse(fixture_bytes(fixture))
    assert forwarding_confirmation(parsed, from_any_sender=from_any_sender) is None
