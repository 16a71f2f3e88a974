"""`manage.py deliver_eml FILE_OR_FOLDER... --to ADDRESS`: feed saved messages into intake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from inbox.management.progress import Progress
from inbox.smtp import deliver


def message_files(paths: list[str]) -> list[Path]:
    """The files named, and every file under the folders named, in a stable order."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise CommandError(f"{name}: no such file or folder")
    return found


class Command(BaseCommand):
    help = "Deliver .eml files (or folders of them) to a forwarding address, as an ESP would."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("paths", nargs="+", metavar="FILE")
        parser.add_argument("--to", required=True, help="The envelope recipient.")
        parser.add_argument("--from", dest="sender", default="", help="The envelope sender.")

    def handle(self, *args: Any, **options: Any) -> None:
        files = message_files(options["paths"])
        progress = Progress(self.stdout, len(files), "Delivering")
        for path in files:
            rows = deliver(
                path.read_bytes(),
                recipients=[options["to"]],
                envelope_sender=options["sender"],
                esp="cli",
            )
            for row in rows:
                row.refresh_from_db(fields=["status", "reason_code"])
                outcome = row.status + (f" ({row.reason_code})" if row.reason_code else "")
                progress.step(f"{path} -> #{row.pk} {outcome}")
