"""The pipeline's statement budget (issue 12): what one mail costs the database, counted.

A new conversation with its contact, ticket, round-robin assignment and assignment event takes at
most 8 statements inside the pipeline's transaction; a reply from a known sender at most 5. The
claim before the transaction is one statement. Counted on whichever database the suite runs on.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inbox.inbound.pipeline import process_inbound_email
from inbox.models import InboundEmail, Message, ThreadEvent, Ticket
from tests.factories import AgentFactory
from tests.inbox.inbound.conftest import store_inbound

pytestmark = pytest.mark.django_db

CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET LOCAL")

NEW = (
    b"From: Ana Smith <ana@customer.example>\r\nTo: support@acme.example\r\n"
    b"Subject: My order\r\nMessage-ID: <first@customer.example>\r\n"
    b"Content-Type: text/plain\r\n\r\nWhere is my order?\r\n"
)
REPLY = (
    b"From: Ana Smith <ana@customer.example>\r\nTo: support@acme.example\r\n"
    b"Subject: Re: My order\r\nMessage-ID: <second@customer.example>\r\n"
    b"In-Reply-To: <first@customer.example>\r\nReferences: <first@customer.example>\r\n"
    b"Content-Type: text/plain\r\n\r\nAny news?\r\n"
)


def statements(raw: bytes, address: str) -> tuple[list[str], InboundEmail]:
    row = store_inbound(raw, address)
    with CaptureQueriesContext(connection) as captured:
        process_inbound_email(row.pk)
    row.refresh_from_db()
    return [query["sql"] for query in captured.captured_queries], row


def data(sqls: list[str]) -> list[str]:
    return [sql for sql in sqls if not sql.lstrip().upper().startswith(CONTROL)]


def test_a_new_conversation_and_a_reply_stay_within_their_statement_budget(channel):
    channel.auto_assign = True
    channel.last_inbound_at = None
    channel.save()
    channel.assign_users.add(*(AgentFactory(workspace=channel.workspace).user for _ in range(2)))
    address = channel.forwarding_address.address

    first, row = statements(NEW, address)
    assert row.status == InboundEmail.Status.ACCEPTED
    message = Message.objects.select_related("thread").get(inbound=row)
    assert message.thread.assignee_id is not None and Ticket.objects.filter(thread=message.thread)
    assert ThreadEvent.objects.filter(thread=message.thread, kind="assigned").count() == 1
    # The claim, then at most 8 in the transaction (the channel's "last mail" stamp, written at
    # most every 10 seconds, is the one more here: this is the channel's first mail).
    claim, *transaction_statements = data(first)
    assert claim.lstrip().upper().startswith("UPDATE")
    assert len(transaction_statements) <= 8 + 1, transaction_statements

    second, reply_row = statements(REPLY, address)
    assert Message.objects.get(inbound=reply_row).thread_id == message.thread_id
    claim, *transaction_statements = data(second)
    assert len(transaction_statements) <= 5, transaction_statements
