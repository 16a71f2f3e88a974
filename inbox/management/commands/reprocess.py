"""`manage.py reprocess ID... | --all-failed`: run the pipeline again on stored deliveries."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from inbox.management.progress import Progress
from inbox.models import InboundEmail
from inbox.services.intake import inbound_email_reprocess
from inbox.tasks import process_inbound


class Command(BaseCommand):
    help = "Reprocess stored inbound deliveries (by id, or every failed one)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("ids", nargs="*", type=int, metavar="ID")
        parser.add_argument("--all-failed", action="store_true")
        parser.add_argument(
            "--skip-check",
            action="append",
            default=[],
            metavar="REASON",
            help="A check to skip (a reason code such as spam); repeatable.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ids = list(options["ids"])
        if options["all_failed"]:
            ids += InboundEmail.objects.filter(status=InboundEmail.Status.FAILED).values_list(
                "pk", flat=True
            )
        if not ids:
            raise CommandError("Give inbound delivery ids, or --all-failed.")
        missing = set(ids) - set(
            InboundEmail.objects.filter(pk__in=ids).values_list("pk", flat=True)
        )
        if missing:
            raise CommandError(
                f"No inbound delivery with id {', '.join(map(str, sorted(missing)))}"
            )
        progress = Progress(self.stdout, len(ids), "Reprocessing")
        for pk in sorted(set(ids)):
            # Run here, not queued: the operator sees each outcome, broker up or not.
            inbound_email_reprocess(
                inbound_email_id=pk, skip_checks=options["skip_check"], queue=False
            )
            process_inbound.apply(args=[pk])
            row = InboundEmail.objects.only("status", "reason_code").get(pk=pk)
            progress.step(f"#{pk} {row.status} {row.reason_code}".rstrip())
