"""`manage.py process_pending`: run the pipeline on every row not yet processed (the sweeper's
work, done in this process; `--queue` hands them to the workers instead)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from inbox.management.progress import Progress
from inbox.models import InboundEmail
from inbox.selectors.intake import pending_inbound_email_ids
from inbox.services.intake import inbound_email_requeue_stale
from inbox.tasks import process_inbound


class Command(BaseCommand):
    help = "Process inbound mail left in received (or stuck in processing)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--queue", action="store_true", help="Queue stale rows for the workers instead."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["queue"]:
            queued = inbound_email_requeue_stale(now=timezone.now())
            self.stdout.write(f"Queued {queued} inbound deliveries")
            return
        ids = pending_inbound_email_ids(now=timezone.now())
        progress = Progress(self.stdout, len(ids), "Processing")
        for pk in ids:
            process_inbound.apply(args=[pk])
            row = InboundEmail.objects.only("status", "reason_code").get(pk=pk)
            progress.step(f"#{pk} {row.status} {row.reason_code}".rstrip())
        self.stdout.write(f"Processed {len(ids)} inbound deliveries")
