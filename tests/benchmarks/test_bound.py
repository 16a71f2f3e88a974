"""`make bench-bound`'s bare contenders write what the product writes for a new conversation and
a reply, so that their rates compare with ours: and they keep working as the schema moves on (a
new column without a default would make them fail here, not in a benchmark nobody runs in CI)."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import pytest
from django.db import connection

from channels_cfg.models import ForwardingAddress
from helpdesk.models import Agent
from inbox.models import InboundEmail, Message, Thread, ThreadEvent, Ticket
from tests.factories import ForwardingAddressFactory

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def _database_url() -> str:
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    return f"postgres://{user}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/" + str(
        settings["NAME"]
    )


def _mail(recipient: str, number: int, *, reply_to: str = "") -> bytes:
    threading = f"In-Reply-To: {reply_to}\r\nReferences: {reply_to}\r\n" if reply_to else ""
    return (
        f"From: Ana Smith <ana@example.com>\r\nTo: {recipient}\r\nSubject: Order {number}\r\n"
        f"Message-ID: <m{number}@example.com>\r\n{threading}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nWhere is my order?\r\n"
    ).encode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("contender", ["statements", "function", "lean"])
def test_a_bare_contender_stores_a_conversation_and_threads_its_reply(contender):
    if connection.vendor != "postgresql":
        pytest.skip("the bound is measured on PostgreSQL")
    import bound

    address = cast(ForwardingAddress, ForwardingAddressFactory())
    bare = bound.Bare(_database_url(), address.address)
    try:
        store = getattr(bare, contender)
        store(_mail(address.address, 1))
        store(_mail(address.address, 2, reply_to="<m1@example.com>"))
        store(_mail(address.address, 3))
    finally:
        bare.close()

    messages = list(Message.objects.order_by("pk"))
    assert [m.message_id for m in messages] == [f"<m{n}@example.com>" for n in (1, 2, 3)]
    assert messages[0].thread_id == messages[1].thread_id != messages[2].thread_id
    assert all(m.workspace_id == address.channel.workspace_id for m in messages)
    first = Thread.objects.get(pk=messages[0].thread_id)
    assert first.message_count == 2
    assert first.contact is not None and first.contact.email == "ana@example.com"
    assert Ticket.objects.count() == ThreadEvent.objects.count() == Thread.objects.count() == 2
    assert set(InboundEmail.objects.values_list("status", "attempts")) == {("accepted", 1)}


@pytest.mark.django_db
def test_the_cpu_of_a_local_backend_is_read_and_grows_with_its_work():
    if connection.vendor != "postgresql":
        pytest.skip("the bound is measured on PostgreSQL")
    import bound

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    before = bound.backend_cpu_seconds(pid)
    if before is None:
        pytest.skip("PostgreSQL runs on another machine: its CPU is not read here")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM generate_series(1, 3000000)")
    after = bound.backend_cpu_seconds(pid)
    assert after is not None and after - before > 0.05  # 3 million rows cost it CPU time
    assert bound.backend_cpu_seconds(2**31 - 1) is None  # no such process


def _conversation(recipient: str) -> list[tuple[str, bytes]]:
    """What a team's channel sees: new senders, a known one, replies, HTML, an auto-reply, a
    nameless sender named later; each mail with the label the test changes state by."""

    def mail(
        number: int, sender: str, subject: str, *, reply_to: int = 0, extra: str = ""
    ) -> bytes:
        threading = (
            f"In-Reply-To: <p{reply_to}@example.com>\r\nReferences: <p{reply_to}@example.com>\r\n"
            if reply_to
            else ""
        )
        body = (
            'Content-Type: multipart/alternative; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nPlain words\r\n--b\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n<p onclick=x()>HTML <b>words</b></p>\r\n"
            "--b--\r\n"
            if "html" in extra
            else f"Content-Type: text/plain; charset=utf-8\r\n\r\nMessage {number}, café.\r\n"
        )
        auto = "Auto-Submitted: auto-replied\r\n" if "auto" in extra else ""
        return (
            f"From: {sender}\r\nTo: {recipient}\r\nCc: boss@example.com\r\nSubject: {subject}\r\n"
            f"Message-ID: <p{number}@example.com>\r\n{threading}{auto}MIME-Version: 1.0\r\n{body}"
        ).encode()

    ana, ben = "Ana Smith <ana@example.com>", "Ben <ben@example.org>"
    return [
        ("", mail(1, ana, "Order 1")),
        ("", mail(2, ana, "Re: Order 1", reply_to=1)),
        ("", mail(3, ben, "Broken page", extra="html")),
        ("", mail(4, ana, "Order 4")),
        ("snooze 3, close 4", mail(5, ben, "Re: Broken page", reply_to=3)),
        ("", mail(6, ana, "Re: Order 4", reply_to=4)),
        # An auto-reply neither wakes a snoozed thread nor moves its ticket.
        ("snooze 1", mail(7, ana, "Automatic reply: Order 1", reply_to=1, extra="auto")),
        ("", mail(8, "nora@example.net", "No name")),
        ("", mail(9, "Nora <nora@example.net>", "Now named")),
        ("", mail(10, "Ana Smith <ANA@Example.com>", "Shouting")),
    ]


def _team_channel() -> ForwardingAddress:
    from tests.factories import AgentFactory

    address = cast(ForwardingAddress, ForwardingAddressFactory())
    channel = address.channel
    for _ in range(2):
        channel.assign_users.add(cast(Agent, AgentFactory(workspace=channel.workspace)).user)
    channel.auto_assign = True
    channel.save(update_fields=["auto_assign"])
    return address


def _snooze_and_close(label: str, workspace_id: int) -> None:
    """Before a labelled mail: "snooze 3, close 4" or "snooze 1", each snoozed thread's ticket
    waiting on the contact, each closed thread's ticket closed."""
    from datetime import timedelta

    from django.utils import timezone

    subjects = {"1": "Order 1", "3": "Broken page", "4": "Order 4"}
    for action, number in (part.split() for part in label.split(", ")):
        thread = Thread.objects.get(workspace_id=workspace_id, subject=subjects[number])
        if action == "snooze":
            until = timezone.now() + timedelta(days=1)
            Thread.objects.filter(pk=thread.pk).update(snoozed_until=until)
            Ticket.objects.filter(thread=thread).update(status="waiting_on_contact")
        else:
            Thread.objects.filter(pk=thread.pk).update(status="closed")
            Ticket.objects.filter(thread=thread).update(status="closed")


def _stored(address: ForwardingAddress) -> dict[str, list]:
    """Everything the mails wrote in the channel's workspace, keys and clocks left out, agents
    and threads named by their order."""
    from inbox.models import Contact, Notification

    workspace_id = address.channel.workspace_id
    agents = {
        user_id: f"agent{n}"
        for n, user_id in enumerate(
            sorted(address.channel.assign_users.values_list("pk", flat=True))
        )
    }
    threads = {pk: n for n, pk in enumerate(
        Thread.objects.filter(workspace_id=workspace_id).order_by("pk").values_list("pk", flat=True)
    )}  # fmt: skip

    def plain(data: dict) -> dict:
        return {k: agents.get(v, v) if k.endswith("assignee_id") else v for k, v in data.items()}

    skip = {"id", "pk", "workspace", "thread", "inbound", "created_at", "last_message_at"}

    def fields(instance: object) -> dict:
        values = {
            f.attname: getattr(instance, f.attname)
            for f in type(instance)._meta.concrete_fields  # type: ignore[attr-defined]
            if f.name not in skip and f.attname not in skip
        }
        for name in ("assignee_id", "owner_id", "recipient_id"):
            if name in values:
                values[name] = agents.get(values[name], values[name])
        for name in ("thread_id",):
            if name in values:
                values[name] = threads[values[name]]
        if "contact_id" in values:
            contact = Contact.objects.filter(pk=values.pop("contact_id")).first()
            values["contact"] = (contact.email, contact.name) if contact else None
        if "snoozed_until" in values:
            values["snoozed_until"] = values["snoozed_until"] is not None
        for name in ("processing_started_at", "processed_at", "received_at", "at", "channel_id"):
            if name in values:
                values[name] = values[name] is not None
        if "to" in values:  # each side's own forwarding address
            values["to"] = values["to"].replace(address.address, "<team>")
        for name in ("raw", "sha256", "idempotency_key", "size", "esp", "envelope_recipient"):
            values.pop(name, None)
        if "data" in values:
            values["data"] = plain(values["data"])
        return values

    rotation = address.channel.__class__.objects.get(pk=address.channel.pk)
    return {
        "threads": [fields(t) for t in Thread.objects.filter(workspace_id=workspace_id).order_by("pk")],
        "tickets": [fields(t) for t in Ticket.objects.filter(thread__workspace_id=workspace_id).order_by("thread_id")],
        "events": sorted(
            (repr(sorted(fields(e).items())) for e in ThreadEvent.objects.filter(workspace_id=workspace_id)),
        ),
        "messages": [fields(m) for m in Message.objects.filter(workspace_id=workspace_id).order_by("pk")],
        "contacts": sorted(Contact.objects.filter(workspace_id=workspace_id).values_list("email", "name")),
        "ledger": [fields(r) for r in InboundEmail.objects.filter(envelope_recipient=address.address).order_by("pk")],
        "notifications": sorted(
            repr(sorted(fields(n).items())) for n in Notification.objects.filter(workspace_id=workspace_id)
        ),
        "rotation": [agents.get(rotation.round_robin_last_user_id or 0)],
    }  # fmt: skip


@contextmanager
def _faithful(address: ForwardingAddress) -> Iterator[Any]:
    """The faithful contender writing to `address`'s channel."""
    import bound
    import bound_faithful

    bare = bound.Bare(_database_url(), address.address)
    faithful = bound_faithful.Faithful(bare)
    try:
        yield faithful
    finally:
        faithful.close()
        bare.close()


def _side_by_side(
    mails: Callable[[str], list[tuple[str, bytes]]],
    between: Callable[[str, int], None] = lambda label, workspace_id: None,
) -> tuple[dict[str, list], dict[str, list]]:
    """The same mails (built for each side's address) through ours on one team channel and
    through the faithful contender on another; `between(label, workspace_id)` runs on each side
    before a mail with a label. What each side stored."""
    import inproc

    ours_address, faithful_address = _team_channel(), _team_channel()
    with _faithful(faithful_address) as faithful, inproc.no_queueing():
        for (label, ours_mail), (_, faithful_mail) in zip(
            mails(ours_address.address), mails(faithful_address.address), strict=True
        ):
            if label:
                between(label, ours_address.channel.workspace_id)
                between(label, faithful_address.channel.workspace_id)
            inproc.ingest(ours_mail, ours_address.address)
            faithful.store(faithful_mail)
    return _stored(ours_address), _stored(faithful_address)


@pytest.mark.django_db(transaction=True)
def test_the_faithful_contender_stores_what_ours_stores():
    """It is the measure of a rewrite that keeps every behaviour only if it writes the same rows:
    threads, round-robin assignees, events, tickets, messages, contacts, the ledger's outcome,
    and the notifications, through replies that reopen, wake and move a ticket."""
    if connection.vendor != "postgresql":
        pytest.skip("the bound is measured on PostgreSQL")

    ours, theirs = _side_by_side(_conversation, _snooze_and_close)
    # The scenario reaches every rule it is meant to compare.
    kinds = " ".join(ours["events"])
    assert all(kind in kinds for kind in ("'assigned'", "'reopened'", "'woke'", "'ticket_changed'"))
    assert len(ours["threads"]) == 6 and len(ours["messages"]) == 10 and ours["notifications"]
    assert ("nora@example.net", "Nora") in ours["contacts"]
    for key in ours:
        assert theirs[key] == ours[key], key


SCRIPTS = (
    "abcdefghijklmnopqrstuvwxyz",
    "абвгдежзийклмнопрстуфхцчшщыэюя",
    "αβγδεζηθικλμνξοπρστυφχψω",
    "的一是不了人我在有他这中大来上们到说国和地也子时道出而要于就下得可",
    "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
)


def _random_mail(seed: int) -> Callable[[str], list[tuple[str, bytes]]]:
    """`make bench`'s random small mail (replies, HTML) and HTML-only mail in five scripts with
    random words for subjects, names and bodies, some of it replies, some auto-replies, some
    with a sender named only later: shapes no test wrote by hand."""
    import inproc

    def mails(recipient: str) -> list[tuple[str, bytes]]:
        rng = random.Random(seed)
        built = [("", raw) for raw in inproc.synthetic_mail(30, recipient=recipient, seed=seed)]

        def words(count: int) -> str:
            script = rng.choice(SCRIPTS)
            return " ".join(
                "".join(rng.choice(script) for _ in range(rng.randint(2, 9))) for _ in range(count)
            )

        for number in range(20):
            sender = f"{words(2)} <s{rng.randint(1, 6)}@{rng.choice(['a.example', 'b.example'])}>"
            if rng.random() < 0.2:
                sender = sender.split("<")[1].rstrip(">")  # no display name
            replying = number and rng.random() < 0.4
            threading = (
                f"In-Reply-To: <h{rng.randrange(number)}.{seed}@x.example>\r\n" if replying else ""
            )
            auto = "Auto-Submitted: auto-replied\r\n" if rng.random() < 0.1 else ""
            html = "".join(
                f"<{tag}>{words(rng.randint(3, 12))}</{tag}>"
                for tag in rng.choices(["p", "div", "b", "blockquote", "script"], k=4)
            )
            built.append(("", (
                f"From: {sender}\r\nTo: {recipient}\r\nSubject: {words(rng.randint(1, 6))}\r\n"
                f"Message-ID: <h{number}.{seed}@x.example>\r\n{threading}{auto}"
                "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"Content-Transfer-Encoding: 8bit\r\n\r\n<html><body>{html}</body></html>\r\n"
            ).encode()))  # fmt: skip
        return built

    return mails


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("seed", [3, 17])
def test_the_faithful_contender_stores_what_ours_stores_from_random_mail(seed):
    if connection.vendor != "postgresql":
        pytest.skip("the bound is measured on PostgreSQL")

    ours, theirs = _side_by_side(_random_mail(seed))
    assert len(ours["messages"]) == 50 and len(ours["threads"]) < 50  # some replies threaded
    assert any(not m["text"].isascii() for m in ours["messages"])
    for key in ours:
        assert theirs[key] == ours[key], key


@pytest.mark.django_db(transaction=True)
def test_the_faithful_contender_refuses_what_it_does_not_write_and_stores_nothing_of_it():
    if connection.vendor != "postgresql":
        pytest.skip("the bound is measured on PostgreSQL")
    import bound_faithful

    address = _team_channel()
    with_file = (
        f"From: Ana <ana@example.com>\r\nTo: {address.address}\r\nSubject: A file\r\n"
        'Message-ID: <f1@example.com>\r\nContent-Type: multipart/mixed; boundary="m"\r\n\r\n'
        "--m\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--m\r\n"
        "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--m--\r\n"
    ).encode()
    stored = _mail(address.address, 1)
    again = b"X-Delivered-Again: yes\r\n" + stored  # the same message: a duplicate
    with _faithful(address) as faithful:
        faithful.store(stored)
        for raw in (with_file, again):
            with pytest.raises(bound_faithful.NotOnTheSmallPath):
                faithful.store(raw)
    assert Message.objects.get().message_id == "<m1@example.com>"
    assert Thread.objects.count() == 1
    assert InboundEmail.objects.count() == 3  # the ledger rows, as intake would have stored them


@pytest.mark.django_db
def test_bound_without_takes_off_the_search_trigger_and_the_indexes_the_pipeline_never_reads():
    if connection.vendor != "postgresql":
        pytest.skip("the bound is measured on PostgreSQL")
    import bound

    def secondary_indexes() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "JOIN pg_class t ON t.oid = x.indrelid "
                "WHERE t.relname = ANY(%s) AND NOT x.indisunique",
                [list(bound.PIPELINE_TABLES)],
            )
            return {name for (name,) in cursor.fetchall()}

    def search_trigger_enabled() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgenabled <> 'D' FROM pg_trigger WHERE tgname = 'inbox_message_search'"
            )
            return bool(cursor.fetchone()[0])

    assert len(secondary_indexes()) > 10 and search_trigger_enabled()
    with pytest.raises(SystemExit, match="unknown"):
        bound.without(frozenset({"search_indexes"}))
    bound.without(frozenset({"secondary_indexes"}))
    assert secondary_indexes() == set(bound.PIPELINE_READS) and search_trigger_enabled()
    bound.without(frozenset({"search_index"}))
    assert not search_trigger_enabled()
