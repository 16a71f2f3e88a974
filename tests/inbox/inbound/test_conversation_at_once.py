"""A new conversation written in one statement (PostgreSQL, `services.conversation_open`) stores
exactly what the row-by-row path stores: the thread, its assignee, the rule's assignment event,
the ticket, the message and its attachments; and it is one statement, sent without waiting."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inbox.inbound import pipeline
from inbox.models import Message, Notification, ThreadEvent, Ticket
from inbox.services import inbound as services
from tests.factories import AgentFactory, ContactFactory
from tests.inbox.inbound.conftest import store_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("one statement with data-modifying WITH clauses is PostgreSQL's")


def _mail(number: int, sender: str) -> bytes:
    return (
        f"From: Ana Smith <{sender}>\r\nTo: support@acme.example\r\n"
        f"Subject: Order {number} is late\r\nMessage-ID: <n{number}@customer.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWhere is it? Merci.\r\n"
        "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<p>Where is it? <script>x()</script><b>Merci</b>.</p>\r\n--b--\r\n"
    ).encode()


def _stored(channel, number: int, sender: str) -> dict[str, Any]:
    """Deliver one new conversation; what it stored, without keys and times."""
    row = store_inbound(_mail(number, sender), channel.forwarding_address.address)
    pipeline.process_inbound_email(row.pk)
    message = Message.objects.select_related("thread", "thread__contact").get(inbound=row)
    thread = message.thread
    ticket = Ticket.objects.filter(thread=thread).first()
    skip = {"id", "thread", "inbound", "created_at", "message_id", "search_vector"}
    return {
        "thread": {
            "workspace": thread.workspace_id, "channel": thread.channel_id,
            "contact": thread.contact.email if thread.contact else None,
            "subject": thread.subject.replace(str(number), "N"), "snippet": thread.snippet,
            "status": thread.status, "kind": thread.kind, "is_spam": thread.is_spam,
            "message_count": thread.message_count, "team": thread.assigned_team_id,
            "last_message_at_is_processed_at": thread.last_message_at == row.processed_at,
            "assigned": thread.assignee_id is not None,
        },
        "events": [
            (event.kind, event.actor_id, event.data == {
                "assignee_id": thread.assignee_id, "team_id": None, "from_assignee_id": None,
                "from_team_id": None, "by": "rule",
            })
            for event in ThreadEvent.objects.filter(thread=thread)
        ],
        "ticket": None if ticket is None else {
            "name": ticket.name.replace(str(number), "N"), "pipeline": ticket.pipeline,
            "status": ticket.status, "priority": ticket.priority, "category": ticket.category,
            "owned_by_assignee": ticket.owner_id == thread.assignee_id,
        },
        "message": {
            field.name: getattr(message, field.attname)
            for field in Message._meta.concrete_fields
            if field.name not in skip
        },
        "row": (row.status, row.attempts, row.channel_id, row.workspace_id),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("assign", "make_ticket"),
    [("round_robin", True), ("round_robin", False), ("contact_owner", True), ("none", True)],
)
def test_one_statement_stores_what_the_row_by_row_path_stores(
    channel, monkeypatch, assign, make_ticket
):
    agents = [AgentFactory(workspace=channel.workspace) for _ in range(2)]
    channel.create_tickets = make_ticket
    channel.auto_assign = assign != "none"
    if assign == "round_robin":
        channel.assign_users.add(*(agent.user for agent in agents))
    else:
        channel.assign_mode = "contact_owner"
        for sender in ("ana@customer.example", "ana2@customer.example"):
            ContactFactory(workspace=channel.workspace, email=sender, owner=agents[1].user)
    channel.save()

    at_once = _stored(channel, 1, "ana@customer.example")
    monkeypatch.setattr(services, "opens_conversations_at_once", lambda: False)
    row_by_row = _stored(channel, 2, "ana2@customer.example")

    assert at_once["message"].pop("from_email") == "ana@customer.example"
    assert row_by_row["message"].pop("from_email") == "ana2@customer.example"
    if assign == "none":
        at_once["thread"].pop("contact"), row_by_row["thread"].pop("contact")
    assert at_once["thread"].pop("contact", "ana@customer.example") == "ana@customer.example"
    row_by_row["thread"].pop("contact", None)
    for stored, number in ((at_once, 1), (row_by_row, 2)):
        stored["message"]["subject"] = stored["message"]["subject"].replace(str(number), "N")
        stored["message"].pop("content_digest")  # of the subject too
    assert {k: v for k, v in at_once["message"].items() if row_by_row["message"][k] != v} == {}
    assert at_once == row_by_row
    assert at_once["thread"]["assigned"] is (assign != "none")
    assert at_once["events"] == ([("assigned", None, True)] if assign != "none" else [])
    assert (at_once["ticket"] is not None) is make_ticket
    assert "<script>" not in at_once["message"]["html"] and "Merci" in at_once["message"]["html"]


def test_round_robin_goes_on_in_turn_through_either_path(channel, monkeypatch):
    users = sorted(AgentFactory(workspace=channel.workspace).user.pk for _ in range(3))
    channel.auto_assign = True
    channel.assign_users.add(*users)
    channel.save()
    assignees = []
    for number in range(6):
        at_once = number % 2 == 0
        monkeypatch.setattr(
            services, "opens_conversations_at_once", lambda at_once=at_once: at_once
        )
        row = store_inbound(
            _mail(number, f"c{number}@customer.example"), channel.forwarding_address.address
        )
        pipeline.process_inbound_email(row.pk)
        assignees.append(Message.objects.get(inbound=row).thread.assignee_id)
    assert assignees == users + users


def test_a_new_conversation_is_one_statement_and_its_assignee_is_notified(
    channel, django_capture_on_commit_callbacks
):
    agent = AgentFactory(workspace=channel.workspace)
    channel.auto_assign = True
    channel.assign_users.add(agent.user)
    channel.save()
    ContactFactory(workspace=channel.workspace, email="ana@customer.example")
    row = store_inbound(_mail(1, "ana@customer.example"), channel.forwarding_address.address)
    with (
        django_capture_on_commit_callbacks(execute=True),
        CaptureQueriesContext(connection) as captured,
    ):
        pipeline.process_inbound_email(row.pk)
    # The ledger row's outcome (a WITH statement too, checking the claim) is not the message's.
    writes = [
        query["sql"] for query in captured.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "WITH"))
        and "inbox_inboundemail" not in query["sql"]
    ]  # fmt: skip
    assert len(writes) == 1, writes
    assert all(
        table in writes[0]
        for table in ("inbox_thread", "inbox_threadevent", "inbox_ticket", "inbox_message")
    )
    thread = Message.objects.get(inbound=row).thread
    assert thread.assignee_id == agent.user.pk
    notification = Notification.objects.get(thread=thread)
    assert (notification.recipient_id, notification.kind) == (agent.user.pk, "assigned")


def _with_files(message_id: str, *, reply_to: str = "", files: int = 2) -> bytes:
    threading = f"In-Reply-To: {reply_to}\r\nReferences: {reply_to}\r\n" if reply_to else ""
    parts = "".join(
        f"--m\r\nContent-Type: application/pdf\r\nContent-ID: <part{n}@customer.example>\r\n"
        f'Content-Disposition: {"inline" if n else "attachment"}; filename="invoice-{n}.pdf"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(f"%PDF-{n} ".encode() * (n + 1)).decode()
        + "\r\n"
        for n in range(files)
    )
    return (
        "From: Ana <ana@customer.example>\r\nTo: support@acme.example\r\nSubject: Invoice\r\n"
        f"Message-ID: {message_id}\r\n{threading}MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\n"
        f"See attached.\r\n{parts}--m--\r\n"
    ).encode()


def _attachments_of(row) -> list[tuple[Any, ...]]:
    message = Message.objects.get(inbound=row)
    return [
        (a.filename, a.content_type, a.size, a.content_id, a.is_inline, a.file.read())
        for a in message.attachments.order_by("filename")
    ]


def _processed(channel, raw: bytes) -> tuple[Any, list[str]]:
    row = store_inbound(raw, channel.forwarding_address.address)
    with CaptureQueriesContext(connection) as captured:
        pipeline.process_inbound_email(row.pk)
    return row, [query["sql"] for query in captured.captured_queries]


def _writes_attachments_alone(sqls: list[str]) -> bool:
    return any(sql.lstrip().upper().startswith('INSERT INTO "INBOX_ATTACHMENT"') for sql in sqls)


def test_a_new_conversation_and_a_reply_are_written_with_their_attachments(channel):
    first, sqls = _processed(channel, _with_files("<att@customer.example>"))
    assert not _writes_attachments_alone(sqls)  # in the conversation's one statement
    message = Message.objects.get(inbound=first)
    assert message.thread.subject == "Invoice" and Ticket.objects.filter(thread=message.thread)
    expected = [
        ("invoice-0.pdf", "application/pdf", 7, "part0@customer.example", False, b"%PDF-0 "),
        ("invoice-1.pdf", "application/pdf", 14, "part1@customer.example", True, b"%PDF-1 " * 2),
    ]
    assert _attachments_of(first) == expected
    reply, sqls = _processed(
        channel, _with_files("<att2@customer.example>", reply_to="<att@customer.example>")
    )
    assert not _writes_attachments_alone(sqls)  # in the message's statement
    assert Message.objects.get(inbound=reply).thread_id == message.thread_id
    assert _attachments_of(reply) == expected


def test_attachments_written_at_once_are_the_rows_written_one_by_one(channel, monkeypatch):
    at_once, _ = _processed(channel, _with_files("<a1@customer.example>", files=3))
    monkeypatch.setattr(services, "ATTACHMENTS_AT_ONCE", 2)  # more than that: row by row
    one_by_one, sqls = _processed(channel, _with_files("<a2@customer.example>", files=3))
    assert _writes_attachments_alone(sqls)
    assert _attachments_of(at_once) == _attachments_of(one_by_one)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text FROM inbox_message WHERE inbound_id IN (%s, %s)",
            [at_once.pk, one_by_one.pk],
        )
        vectors = {found for (found,) in cursor.fetchall()}
    assert len(vectors) == 1 and "invoice-2.pdf" in vectors.pop()  # indexed alike, with names


ALPHABETS = {
    "latin": "abcdefghijklmnopqrstuvwxyzéüß",
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщэюя",
    "greek": "αβγδεζηθικλμνξοπρστυφχψω",
    "cjk": "的一是不了人我在有他这为之大来以个中上们",
}


def _random_mail(seed: int, message_id: str, sender: str) -> bytes:
    """A new conversation of a shape nobody wrote by hand: words from a random script, an
    encoded or missing subject and name, text-only, HTML-only or both, lines glued or long."""
    import random
    from email.header import Header

    rng = random.Random(seed)
    letters = ALPHABETS[rng.choice(sorted(ALPHABETS))]

    def words(count: int) -> list[str]:
        return [
            "".join(rng.choice(letters) for _ in range(rng.randint(1, 9))) for _ in range(count)
        ]

    glue = rng.choice([" ", "", "-", "\t"])
    text = "\n".join(glue.join(words(rng.randint(1, 40))) for _ in range(rng.randint(1, 6)))
    subject = rng.choice(["", glue.join(words(rng.randint(1, 6))), "x" * 1200])
    name = rng.choice(["", " ".join(words(2))])
    headers = (
        f"From: {Header(name, 'utf-8').encode() + ' ' if name else ''}<{sender}>\r\n"
        f"To: support@acme.example\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        + (f"Subject: {Header(subject, 'utf-8').encode()}\r\n" if subject else "")
    )
    html = (
        "<div>"
        + "".join(f"<p>{line}</p>" for line in text.split("\n"))
        + "<script>x()</script></div>"
    )
    shape = rng.choice(["text", "html", "both"])
    if shape == "text":
        body = f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    elif shape == "html":
        body = f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    else:
        body = (
            "Content-Type: multipart/alternative; boundary=b\r\n\r\n"
            f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
            f"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b--\r\n"
        )
    return (headers + body).encode()


@pytest.mark.parametrize("seed", range(8))
def test_mail_of_random_shapes_is_stored_alike_by_both_paths(channel, monkeypatch, seed):
    channel.create_tickets = True
    channel.save()
    stored = []
    for at_once in (True, False):
        monkeypatch.setattr(
            services, "opens_conversations_at_once", lambda at_once=at_once: at_once
        )
        tag = "a" if at_once else "b"
        raw = _random_mail(
            seed, f"<r{seed}{tag}@customer.example>", f"r{seed}{tag}@customer.example"
        )
        row = store_inbound(raw, channel.forwarding_address.address)
        pipeline.process_inbound_email(row.pk)
        row.refresh_from_db()
        assert row.status == "accepted", row.reason_detail
        message = Message.objects.select_related("thread").get(inbound=row)
        skip = {
            "id",
            "thread",
            "inbound",
            "created_at",
            "message_id",
            "from_email",
            "content_digest",
            "search_vector",
        }
        stored.append(
            {
                "message": {
                    f.name: getattr(message, f.attname)
                    for f in Message._meta.concrete_fields
                    if f.name not in skip
                },
                "thread": (
                    message.thread.subject,
                    message.thread.snippet,
                    message.thread.message_count,
                ),
                "ticket": Ticket.objects.get(thread=message.thread).name,
            }
        )
    assert stored[0] == stored[1]
    assert "<script>" not in stored[0]["message"]["html"]
