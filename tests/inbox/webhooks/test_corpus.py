"""Every real message of ../shared/corpus goes through the real Mailgun webhook and is decided."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.test import Client

from inbox.models import InboundEmail
from tests.inbox.payloads import BASIC_AUTH, mailgun_mime_post

pytestmark = pytest.mark.django_db(transaction=True)

DECIDED = {
    InboundEmail.Status.ACCEPTED,
    InboundEmail.Status.REJECTED,
    InboundEmail.Status.DUPLICATE,
}


def corpus_messages(shared_dir: Path) -> list[Path]:
    with (shared_dir / "corpus" / "INDEX.tsv").open(newline="") as index:
        rows = list(csv.DictReader(index, delimiter="\t"))
    return [
        shared_dir / "corpus" / row["path"] for row in rows if row["category"] != "webhook-payload"
    ]


def test_every_corpus_message_is_stored_and_decided_never_lost(
    client: Client, forwarding_address: str, shared_dir: Path
) -> None:
    paths = corpus_messages(shared_dir)
    assert len(paths) > 1000
    not_ok: dict[str, int] = {}
    for path in paths:
        body, content_type = mailgun_mime_post(path.read_bytes(), recipient=forwarding_address)
        response = client.post(
            "/anymail/mailgun/inbound_mime/",
            data=body,
            content_type=content_type,
            HTTP_AUTHORIZATION=BASIC_AUTH,
        )
        if response.status_code != 200:
            not_ok[str(path)] = response.status_code
    assert not_ok == {}
    # Identical files in the corpus are one delivery to the same address; everything else a row.
    distinct = {path.read_bytes() for path in paths}
    assert InboundEmail.objects.count() == len(distinct)
    undecided = {
        row.pk: (row.status, row.reason_detail[:200], bytes(row.raw)[:80])
        for row in InboundEmail.objects.exclude(status__in=DECIDED)
    }
    assert undecided == {}
    assert not InboundEmail.objects.filter(
        status=InboundEmail.Status.REJECTED, reason_code=""
    ).exists()
