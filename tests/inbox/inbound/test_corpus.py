"""Every message of the shared corpus goes through the pipeline: accepted, rejected or duplicate
with a reason, never an exception; manual forwards are attributed to their original sender."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.db.models import Count

from inbox.inbound.attribute import ChannelRules, attribute
from inbox.inbound.forwarded import subject_prefixes
from inbox.inbound.parse import parse
from inbox.inbound.pipeline import process_inbound_email
from inbox.models import InboundEmail, Message
from tests.factories import AgentFactory, UserFactory
from tests.inbox.inbound.conftest import store_inbound

# Forwards whose expected sender our rules rightly do not use (see INDEX.tsv notes): none now.
ATTRIBUTION_EXCEPTIONS: frozenset[str] = frozenset()


def corpus_rows(shared_dir: Path) -> list[dict[str, str]]:
    with open(shared_dir / "corpus" / "INDEX.tsv", encoding="utf-8") as index:
        rows = list(csv.DictReader(index, delimiter="\t"))
    return [row for row in rows if row["category"] != "webhook-payload"]


@pytest.mark.django_db
def test_every_corpus_message_ends_accepted_rejected_or_duplicate(shared_dir, channel):
    address = channel.forwarding_address.address
    outcomes: dict[str, int] = {}
    for entry in corpus_rows(shared_dir):
        raw = (shared_dir / "corpus" / entry["path"]).read_bytes()
        row = store_inbound(raw, address)
        process_inbound_email(row.pk)
        row.refresh_from_db()
        assert row.status in {"accepted", "rejected", "duplicate"}, entry["path"]
        if row.status == "rejected":
            assert row.reason_code and row.reason_detail, entry["path"]
        outcomes[row.status] = outcomes.get(row.status, 0) + 1
    reasons = dict(InboundEmail.objects.values_list("reason_code").annotate(n=Count("id")))
    print(outcomes, reasons)
    assert outcomes.get("accepted", 0) > 900, outcomes


@pytest.mark.django_db
def test_corpus_manual_forwards_are_attributed_to_the_original_sender(shared_dir, channel):
    """The forwarder of each message is made one of the workspace's agents (only their forwards
    are believed); the contact must then be the person who wrote the forwarded message."""
    address = channel.forwarding_address.address
    wrong = []
    checked = 0
    for entry in corpus_rows(shared_dir):
        if entry["category"] != "forwarded-manual" or not entry["original_sender"]:
            continue
        if entry["path"] in ATTRIBUTION_EXCEPTIONS:
            continue
        raw = (shared_dir / "corpus" / entry["path"]).read_bytes()
        forwarder = parse(raw).from_email
        if (
            forwarder
            and not AgentFactory._meta.model.objects.filter(user__email=forwarder).exists()
        ):
            AgentFactory(workspace=channel.workspace, user=UserFactory(email=forwarder))
        row = store_inbound(raw, address)
        process_inbound_email(row.pk)
        row.refresh_from_db()
        message = Message.objects.filter(inbound=row).first()
        if row.status == InboundEmail.Status.DUPLICATE:  # the corpus repeats some files verbatim
            message = Message.objects.filter(message_id=parse(raw).message_id).first()
        got = message.from_email if message else f"({row.status}: {row.reason_code})"
        checked += 1
        if got != entry["original_sender"].lower():
            wrong.append((entry["path"], entry["original_sender"], got))
    assert checked >= 45
    assert wrong == [], "\n".join(map(str, wrong))


@pytest.mark.django_db
def test_corpus_broken_messages_are_stored_and_refused_with_a_reason(shared_dir, channel):
    for path in ("cpython/msg_19.txt", "mail-parser/mail_outlook_1"):
        raw = (shared_dir / "corpus" / path).read_bytes()
        row = store_inbound(raw, channel.forwarding_address.address)
        process_inbound_email(row.pk)
        row.refresh_from_db()
        assert row.status == InboundEmail.Status.REJECTED
        assert row.reason_code == "malformed"
        assert bytes(row.raw) == raw


@pytest.mark.django_db
def test_corpus_group_mail_is_attributed_to_the_real_author(shared_dir, channel):
    """Group and list mail with an X-Original-From/-Sender names its author, not the group."""
    expected = {
        "chatwoot/group_sender_support.eml": "jane@example.com",
        "discourse/mailman_4.eml": "some@one.com",
        "discourse/reply_to_different_to_from.eml": "arthurmorgan@reddeadtest.com",
    }
    for path, author in expected.items():
        row = store_inbound(
            (shared_dir / "corpus" / path).read_bytes(), channel.forwarding_address.address
        )
        process_inbound_email(row.pk)
        message = Message.objects.get(inbound=row)
        assert (message.from_email, message.attributed_via) == (author, "google_groups"), path
        assert message.forwarded_by and message.forwarded_by != author


@pytest.mark.django_db
def test_corpus_auto_forwarded_mail_keeps_the_sender_and_records_the_forwarder(shared_dir, channel):
    rows = [row for row in corpus_rows(shared_dir) if row["category"] == "auto-forwarded"]
    for entry in rows:
        raw = (shared_dir / "corpus" / entry["path"]).read_bytes()
        row = store_inbound(raw, channel.forwarding_address.address)
        process_inbound_email(row.pk)
        message = Message.objects.get(inbound=row)
        assert message.from_email == parse(raw).from_email, entry["path"]
        # spamassassin/nice/mime3 was resent by its own author (Resent-From == From).
        if entry["path"] != "spamassassin/nice/mime3":
            assert message.forwarded_by, entry["path"]


def test_corpus_quoted_replies_are_never_attributed_to_whom_they_quote(shared_dir):
    """Every sender trusted (the worst case: their forwards are believed), a mail whose subject
    says reply keeps its sender, or names the writer of a message attached to it; never someone
    named in its quoted history."""
    checked, wrong = 0, []
    for entry in corpus_rows(shared_dir):
        if entry["category"] in {"forwarded-manual", "auto-forwarded", "group"}:
            continue
        parsed = parse((shared_dir / "corpus" / entry["path"]).read_bytes())
        if parsed.malformed or subject_prefixes(parsed.subject)[:1] != ["reply"]:
            continue
        checked += 1
        trusted = ChannelRules(trusted_forwarders=frozenset({parsed.from_email}))
        sender = attribute(parsed, trusted).from_email
        if sender != parsed.from_email and sender not in {m.from_email for m in parsed.embedded}:
            wrong.append((entry["path"], parsed.subject[:40], sender))
    print(f"{checked} replies checked")
    assert checked >= 50
    assert wrong == [], "\n".join(map(str, wrong))
