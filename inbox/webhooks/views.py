"""anymail's inbound webhook views, adapted so that every delivery is stored byte for byte.

Each view keeps anymail's authentication (basic auth, Mailgun's HMAC) and adds what anymail lacks
(SNS signatures and a topic allow-list for Amazon SES; a fresh timestamp and an unreplayed token
for Mailgun, inbox.webhooks.replay; each ESP's own secret, inbox.webhooks.gate). Where the ESP posts the raw MIME
(Mailgun `body-mime`, Postmark `RawEmail`, SES SNS `content`, SendGrid `email`) the view hands
those bytes on without parsing them; otherwise anymail parses the post and the MIME is rebuilt
from its message. A post anymail cannot parse is still stored (its body, for an admin to see).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from email.errors import MessageError
from typing import Any

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailInboundEvent
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from anymail.webhooks.base import AnymailBasicAuthMixin, AnymailCoreWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    HttpResponseForbidden,
)
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt

from helpdesk.redaction import redact_addresses
from inbox.webhooks import replay, sns
from inbox.webhooks.allowlist import client_allowed
from inbox.webhooks.body import RequestTooLarge, read_inbound_body
from inbox.webhooks.gate import EspSecretMixin
from inbox.webhooks.raw import header_spam_verdict, raw_inbound_event

logger = logging.getLogger(__name__)

# What Python's email package and anymail raise on mail they cannot read (docs/reliability.md,
# "Mail that breaks parsers"). Anything else (a database or network fault) still answers 5xx so the ESP retries.
PARSE_ERRORS = (
    RecursionError,
    ValueError,
    LookupError,
    UnicodeError,
    TypeError,
    AttributeError,
    MessageError,
)


class RawMimeInboundMixin(EspSecretMixin, AnymailCoreWebhookView):
    """Read the body within the inbound size limit; store raw MIME; never 500 on a bad message."""

    @method_decorator(csrf_exempt)
    @method_decorator(login_not_required)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not client_allowed(request, self.esp_name):
            logger.warning("Inbound %s post from a network not allowed: refused", self.esp_name)
            return HttpResponseForbidden("This address may not post to this webhook.")
        try:
            read_inbound_body(request)
        except RequestTooLarge as error:
            logger.warning("Inbound webhook body refused as too large: %s", error)
            return HttpResponse(status=413)
        except ValueError as error:
            return HttpResponseBadRequest(f"Unreadable form body: {error}")
        return super().dispatch(request, *args, **kwargs)

    def raw_mime_events(self, request: HttpRequest) -> list[AnymailInboundEvent] | None:
        """Events carrying the ESP's own raw MIME, or None when this post has none."""
        return None

    def parse_events(self, request: HttpRequest) -> list[AnymailInboundEvent]:
        events = self.raw_mime_events(request)
        if events is not None:
            return events
        try:
            events = super().parse_events(request)
            for event in events:
                event.message.raw_mime = event.message.as_bytes()
        except PARSE_ERRORS as error:
            # anymail quotes the address it could not read.
            logger.warning(
                "Inbound %s post not parseable, stored as is: %s",
                self.esp_name,
                redact_addresses(repr(error)),
            )
            return [raw_inbound_event(raw=request.body, envelope_recipient="", esp_event=request)]
        return events


class MailgunInboundView(RawMimeInboundMixin, MailgunInboundWebhookView):
    def run_validators(self, request: HttpRequest) -> None:
        # Basic auth and the HMAC first: only a signed post's token is remembered, so strangers
        # cannot use up tokens Mailgun has yet to send.
        super().run_validators(request)
        timestamp, token = _mailgun_signed_fields(request)
        refusal = replay.timestamp_refusal(timestamp, now=time.time())
        if refusal:
            raise AnymailWebhookValidationFailure(f"Mailgun webhook refused: {refusal}")
        fingerprint = replay.post_fingerprint(request)
        if replay.is_token_reused(esp="mailgun", token=token, fingerprint=fingerprint):
            raise AnymailWebhookValidationFailure(
                "Mailgun webhook refused: its token came before with another post"
            )

    def raw_mime_events(self, request: HttpRequest) -> list[AnymailInboundEvent] | None:
        if request.content_type == "application/json" or "body-mime" not in request.POST:
            return None
        if request.POST.get("event", "inbound") != "inbound":
            return None  # anymail explains the misconfiguration
        raw_fields: dict[str, bytes] = getattr(request, "raw_form_fields", {})
        raw = raw_fields.get("body-mime") or request.POST["body-mime"].encode("utf-8")
        detected, score, duplicated = header_spam_verdict(
            raw, flag_header="X-Mailgun-Sflag", score_header="X-Mailgun-Sscore"
        )
        return [
            raw_inbound_event(
                raw=raw,
                envelope_recipient=request.POST.get("recipient", ""),
                envelope_sender=request.POST.get("sender", ""),
                event_id=request.POST.get("token"),
                spam_detected=bool(detected),
                spam_score=score,
                spam_header_duplicated=duplicated,
                esp_event=request,
            )
        ]


def _mailgun_signed_fields(request: HttpRequest) -> tuple[str, str]:
    """(timestamp, token) where anymail read them (its check has passed, so they are there)."""
    if request.content_type == "application/json":
        signature = json.loads(request.body)["signature"]
        return str(signature["timestamp"]), str(signature["token"])
    return request.POST["timestamp"], request.POST["token"]


class PostmarkInboundView(RawMimeInboundMixin, PostmarkInboundWebhookView):
    def raw_mime_events(self, request: HttpRequest) -> list[AnymailInboundEvent] | None:
        try:
            payload = json.loads(request.body)
        except ValueError:
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("RawEmail"), str):
            return None
        if payload.get("RecordType", "Inbound") != "Inbound":
            return None
        headers = payload.get("Headers") or []
        sender = ""
        # Postmark prepends the envelope sender as a first "Return-Path" header.
        if headers and str(headers[0].get("Name", "")).lower() == "return-path":
            sender = str(headers[0].get("Value", "")).strip().strip("<>")
        raw = payload["RawEmail"].encode("utf-8", errors="surrogateescape")
        detected, score, duplicated = header_spam_verdict(
            raw, flag_header="X-Spam-Status", score_header="X-Spam-Score"
        )
        return [
            raw_inbound_event(
                raw=raw,
                envelope_recipient=str(payload.get("OriginalRecipient") or ""),
                envelope_sender=sender,
                event_id=payload.get("MessageID"),
                spam_detected=bool(detected),
                spam_score=score,
                spam_header_duplicated=duplicated,
                esp_event=payload,
            )
        ]


SES_DMARC = {"PASS": "pass", "FAIL": "fail", "GRAY": "none"}


class AmazonSESInboundView(RawMimeInboundMixin, AmazonSESInboundWebhookView):
    def validate_request(self, request: HttpRequest) -> None:
        # Basic auth first, so that strangers never make us fetch a certificate.
        AnymailBasicAuthMixin.validate_request(self, request)
        message = self._parse_sns_message(request)
        try:
            sns.verify_sns_message(
                message,
                allowed_topic_arns=settings.AMAZON_SES_ALLOWED_TOPIC_ARNS,
                fetch=sns.fetch_certificate,
            )
        except sns.SNSVerificationError as error:
            raise AnymailWebhookValidationFailure(str(error)) from error

    def raw_mime_events(self, request: HttpRequest) -> list[AnymailInboundEvent] | None:
        sns_message = self._parse_sns_message(request)
        if sns_message.get("Type") != "Notification":
            return None
        try:
            ses_event = json.loads(sns_message.get("Message") or "")
        except ValueError:
            return None
        if not isinstance(ses_event, dict) or ses_event.get("notificationType") != "Received":
            return None
        receipt = ses_event.get("receipt") or {}
        action = receipt.get("action") or {}
        content = ses_event.get("content")
        if action.get("type") != "SNS" or not isinstance(content, str):
            return None  # the S3 action: anymail downloads the object
        try:
            raw = (
                base64.b64decode(content)
                if action.get("encoding") == "BASE64"
                else content.encode("utf-8")
            )
        except binascii.Error:
            return None
        return self.events_per_recipient(raw, ses_event)

    def events_per_recipient(
        self, raw: bytes, ses_event: dict[str, Any]
    ) -> list[AnymailInboundEvent]:
        receipt, mail = ses_event.get("receipt") or {}, ses_event.get("mail") or {}
        recipients = [str(address) for address in receipt.get("recipients") or []] or [""]
        spam = str((receipt.get("spamVerdict") or {}).get("status", "")).upper()
        dmarc = str((receipt.get("dmarcVerdict") or {}).get("status", "")).upper()
        message_id = mail.get("messageId")
        return [
            raw_inbound_event(
                raw=raw,
                envelope_recipient=recipient,
                envelope_sender=str(mail.get("source") or ""),
                # One SES delivery to two of our addresses is two ledger rows.
                event_id=message_id if len(recipients) == 1 else f"{message_id}:{recipient}",
                spam_detected={"PASS": False, "FAIL": True}.get(spam),
                verdict_source="esp",
                dmarc_verdict=SES_DMARC.get(dmarc, ""),
                esp_event=ses_event,
            )
            for recipient in recipients
        ]


class SendGridInboundView(RawMimeInboundMixin, SendGridInboundWebhookView):
    def raw_mime_events(self, request: HttpRequest) -> list[AnymailInboundEvent] | None:
        if "email" not in request.POST:
            return None
        raw_fields: dict[str, bytes] = getattr(request, "raw_form_fields", {})
        raw = raw_fields.get("email") or request.POST["email"].encode("utf-8")
        try:
            envelope = json.loads(request.POST.get("envelope", "{}"))
            recipients = [str(address) for address in envelope.get("to") or []] or [""]
            sender = str(envelope.get("from") or "")
        except (ValueError, AttributeError):
            recipients, sender = [""], ""
        try:
            score: float | None = float(request.POST["spam_score"])
        except (KeyError, ValueError):
            score = None
        return [
            raw_inbound_event(
                raw=raw,
                envelope_recipient=recipient,
                envelope_sender=sender,
                spam_score=score,
                esp_event=request,
            )
            for recipient in recipients
        ]


def wrap_inbound_view(view_class: type[AnymailCoreWebhookView]) -> type[AnymailCoreWebhookView]:
    """Any other anymail inbound view, with our size limit and never-lose-it parsing."""
    return type(f"Helpdesk{view_class.__name__}", (RawMimeInboundMixin, view_class), {})


INBOUND_VIEWS: dict[type[AnymailCoreWebhookView], type[AnymailCoreWebhookView]] = {
    MailgunInboundWebhookView: MailgunInboundView,
    PostmarkInboundWebhookView: PostmarkInboundView,
    AmazonSESInboundWebhookView: AmazonSESInboundView,
    SendGridInboundWebhookView: SendGridInboundView,
}
