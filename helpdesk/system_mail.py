"""Mail the product sends by itself (verification links, test emails, the away owner's notice),
sent by a Celery task after the transaction commits.

Sending in the request meant an ESP outage turned "Send verification message" into a server
error after the verification row was already committed (and counted against the rate limit);
sending with fail_silently in the worker lost the mail. The task retries with backoff instead,
and the page answers at once.
"""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.db import transaction

from helpdesk.tasks import send_system_email


def queue_system_email(email: EmailMessage) -> None:
    """Send `email` from a worker once the current transaction commits."""
    fields = {
        "subject": email.subject,
        "body": email.body,
        "from_email": email.from_email,
        "to": list(email.to),
        "headers": dict(email.extra_headers),
    }
    # robust: a broker that cannot be reached must not turn the request into an error; the
    # failure is logged (the admin can send again).
    transaction.on_commit(lambda: send_system_email.delay(fields), robust=True)
