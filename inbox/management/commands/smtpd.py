"""`manage.py smtpd --port 2525`: receive mail for forwarding addresses over SMTP, no ESP needed."""

from __future__ import annotations

import logging
import threading
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management.base import BaseCommand

from inbox.smtp import InboundSMTPHandler


class Command(BaseCommand):
    help = "Run an SMTP listener that accepts mail for forwarding addresses only."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args: Any, **options: Any) -> None:
        controller = Controller(
            InboundSMTPHandler(),
            hostname=options["host"],
            port=options["port"],
            data_size_limit=settings.INBOUND_MAX_REQUEST_BYTES,
        )
        # aiosmtpd logs every SMTP command at INFO; keep its warnings only.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        controller.start()
        self.stdout.write(f"SMTP listener on {options['host']}:{options['port']}")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
