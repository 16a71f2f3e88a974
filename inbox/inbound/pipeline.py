"""The inbound pipeline's imperative shell: parse -> validate -> attribute -> route -> persist.

PROVISIONAL: this first version only files mail by envelope recipient and From, so that intake
can be built and tested; the stage modules replace its body.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from email.utils import parseaddr

from django.db import transaction
from django.utils import timezone

from channels_cfg.models import EmailChannel, ForwardingAddress
from inbox.models import Contact, InboundEmail, Message, Thread


def process_inbound_email(inbound_email_id: int) -> None:
    """Run the pipeline on a stored delivery and apply its decision.

    Moves the row to accepted / rejected / duplicate. Expected refusals are data on the row;
    anything unexpected raises (the task retries it, then marks the row failed).
    """
    with transaction.atomic():
        row = InboundEmail.objects.select_for_update().get(pk=inbound_email_id)
        if row.status in {InboundEmail.Status.ACCEPTED, InboundEmail.Status.REJECTED}:
            return
        parsed = BytesParser(policy=policy.compat32).parsebytes(bytes(row.raw))
        address = (
            ForwardingAddress.objects.filter(
                address=row.envelope_recipient.lower(),
                channel__status=EmailChannel.Status.CONNECTED,
            )
            .select_related("channel")
            .first()
        )
        now = timezone.now()
        if address is None:
            row.status, row.reason_code = InboundEmail.Status.REJECTED, "unknown_recipient"
            row.reason_detail = "No connected channel has this forwarding address."
            row.processed_at = now
            row.save()
            return
        channel = address.channel
        name, email = parseaddr(str(parsed.get("From", "")))
        contact, _ = Contact.objects.get_or_create(
            workspace=channel.workspace,
            email=email.lower() or "unknown@invalid",
            defaults={"name": name},
        )
        subject = str(parsed.get("Subject", ""))
        thread = Thread.objects.create(
            workspace=channel.workspace,
            channel=channel,
            contact=contact,
            subject=subject,
            last_message_at=now,
            message_count=1,
        )
        Message.objects.create(
            workspace=channel.workspace,
            thread=thread,
            direction=Message.Direction.IN,
            message_id=str(parsed.get("Message-ID", "")),
            from_email=contact.email,
            from_name=name,
            subject=subject,
            inbound=row,
            created_at=now,
        )
        row.status, row.channel, row.workspace, row.processed_at = (
            InboundEmail.Status.ACCEPTED,
            channel,
            channel.workspace,
            now,
        )
        row.save()
