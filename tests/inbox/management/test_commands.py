"""deliver_eml, process_pending and reprocess: the operator's way in, with progress."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from inbox.models import InboundEmail, Message
from tests.factories import InboundEmailFactory
from tests.inbox.payloads import simple_message

pytestmark = pytest.mark.django_db(transaction=True)


def test_deliver_eml_on_a_folder_stores_every_file_and_shows_progress(
    tmp_path: Path, forwarding_address: str
) -> None:
    for number in range(3):
        (tmp_path / f"{number}.eml").write_bytes(simple_message(subject=f"Mail {number}"))
    out = StringIO()
    call_command("deliver_eml", str(tmp_path), "--to", forwarding_address, stdout=out)
    assert InboundEmail.objects.filter(esp="cli", status="accepted").count() == 3
    lines = out.getvalue().splitlines()
    assert lines[0] == "Delivering: 3"
    assert [line.split("]")[0] for line in lines[1:]] == ["[1/3", "[2/3", "[3/3"]
    assert all("accepted" in line for line in lines[1:])


def test_deliver_eml_names_a_missing_file(forwarding_address: str) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("deliver_eml", "/nonexistent.eml", "--to", forwarding_address)


def test_process_pending_runs_the_pipeline_on_rows_left_received(forwarding_address: str) -> None:
    rows = [
        InboundEmailFactory(envelope_recipient=forwarding_address, raw=simple_message())
        for _ in range(2)
    ]
    out = StringIO()
    call_command("process_pending", stdout=out)
    assert {row.status for row in InboundEmail.objects.filter(pk__in=[r.pk for r in rows])} == {
        "accepted"
    }
    assert "Processed 2 inbound deliveries" in out.getvalue()


def test_process_pending_queue_mode_queues_only_stale_rows(forwarding_address: str) -> None:
    InboundEmailFactory(envelope_recipient=forwarding_address, raw=simple_message())
    out = StringIO()
    call_command("process_pending", "--queue", stdout=out)
    assert "Queued 0" in out.getvalue()
    InboundEmail.objects.update(received_at=timezone.now() - timezone.timedelta(hours=1))
    call_command("process_pending", "--queue", stdout=out)
    assert InboundEmail.objects.get().status == "accepted"


def test_reprocess_all_failed_reruns_each_failed_row(forwarding_address: str) -> None:
    failed = [
        InboundEmailFactory(
            envelope_recipient=forwarding_address,
            raw=simple_message(),
            status=InboundEmail.Status.FAILED,
            reason_detail="ValueError: fixed since",
        )
        for _ in range(2)
    ]
    out = StringIO()
    call_command("reprocess", "--all-failed", stdout=out)
    assert set(InboundEmail.objects.values_list("status", flat=True)) == {"accepted"}
    assert Message.objects.count() == 2
    assert f"[1/2] #{failed[0].pk} accepted" in out.getvalue()


def test_reprocess_refuses_unknown_ids(db: None) -> None:
    with pytest.raises(CommandError, match="No inbound delivery with id 999"):
        call_command("reprocess", "999")
