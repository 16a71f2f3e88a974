"""Stage 2: is this mail ours to take? A Rejection (reason code + a sentence) or None.

Also the flags that do not refuse mail but change what happens to it: auto-replies and bounces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from inbox.inbound.parse import ParsedEmail

MAX_RECEIVED = 30

# Reasons an admin may override with "Process anyway"; the others leave nothing to process.
SKIPPABLE = frozenset(
    {"channel_disconnected", "channel_draft", "blocked_sender", "spam", "auth_failed", "loop"}
)

REASONS = {
    "too_large": "The message is larger than the {limit} MB we accept.",
    "malformed": "The message could not be read: {detail}",
    "unknown_recipient": "No channel uses the forwarding address {recipient}.",
    "channel_disconnected": "The channel for {recipient} is disconnected.",
    "channel_draft": "The channel for {recipient} is not connected yet; until then it accepts "
    "only forwarding confirmations and test emails.",
    "blocked_sender": "{sender} is on the blocked senders list ({rule}).",
    "spam": "The mail service marked it as spam{score}.",
    "auth_failed": "{sender} failed DMARC: the domain does not vouch for this sender "
    "(no aligned DKIM signature, no ARC seal from a trusted forwarder).",
    "loop": "It is our own mail coming back ({detail}), so answering it would start a loop.",
}


@dataclass(frozen=True)
class Rejection:
    code: str
    sentence: str


@dataclass(frozen=True)
class ValidationContext:
    """What validation needs to know beyond the message, loaded by the pipeline."""

    size: int
    max_size: int  # bytes of MIME at the cap
    max_message_bytes: int  # the cap (INBOUND_MAX_MESSAGE_BYTES) on ParsedEmail.decoded_size
    envelope_recipient: str
    channel_status: str | None  # None: no channel has this forwarding address
    blocked: frozenset[str] = frozenset()  # lower-case addresses and domains
    spam_threshold: float = 5.0
    esp_verdicts: dict[str, object] = field(default_factory=dict)
    authserv_ids: frozenset[str] = frozenset()
    trusted_arc_sealers: frozenset[str] = frozenset()
    loop_header_value: str = ""
    message_id_is_ours: bool = False  # signed by us: mail we sent, coming back
    our_from_addresses: frozenset[str] = frozenset()
    skip_checks: frozenset[str] = frozenset()
    is_expected_in_draft: bool = False  # a forwarding confirmation or a returning test email
    is_test_email: bool = False


def validate(
    parsed: ParsedEmail, context: ValidationContext, senders: tuple[str, ...] = ()
) -> Rejection | None:
    """The first check the mail fails, in order of how certain and how cheap it is."""
    rejection = _check_delivery(parsed, context)
    if rejection is not None or context.is_test_email:
        return rejection  # our own test mail, recognised by its signed Message-ID, passes here
    return _check_sender(parsed, context, senders or _from_of(parsed))


def _from_of(parsed: ParsedEmail) -> tuple[str, ...]:
    return (parsed.from_email,) if parsed.from_email else ()


def _check_delivery(parsed: ParsedEmail, context: ValidationContext) -> Rejection | None:
    """Can this mail be taken at all: its size, its form, its channel, a loop."""
    skip = context.skip_checks
    recipient = context.envelope_recipient or "(no recipient)"
    if is_too_large(parsed, context):
        limit = context.max_message_bytes // (1024 * 1024)
        return Rejection("too_large", REASONS["too_large"].format(limit=limit))
    if parsed.malformed:
        return Rejection("malformed", REASONS["malformed"].format(detail=parsed.malformed))
    if context.channel_status is None:
        sentence = REASONS["unknown_recipient"].format(recipient=recipient)
        return Rejection("unknown_recipient", sentence)
    if context.channel_status == "disconnected" and "channel_disconnected" not in skip:
        sentence = REASONS["channel_disconnected"].format(recipient=recipient)
        return Rejection("channel_disconnected", sentence)
    loop = "" if context.is_test_email or "loop" in skip else loop_reason(parsed, context)
    if loop:
        return Rejection("loop", REASONS["loop"].format(detail=loop))
    draft = context.channel_status == "draft" and not context.is_expected_in_draft
    if draft and "channel_draft" not in skip:
        return Rejection("channel_draft", REASONS["channel_draft"].format(recipient=recipient))
    return None


def is_too_large(parsed: ParsedEmail, context: ValidationContext) -> bool:
    """Over the cap as people count it ("30 MB, including attachments"): the decoded parts and
    header fields. The raw MIME size (`max_size`, base64's slack included) is only an outer bound
    the webhook already applied; it refuses without trusting a measurement."""
    return context.size > context.max_size or parsed.decoded_size > context.max_message_bytes


def _check_sender(
    parsed: ParsedEmail, context: ValidationContext, senders: tuple[str, ...]
) -> Rejection | None:
    """Do we take mail from this sender: blocked list, the ESP's spam verdict, DMARC."""
    skip = context.skip_checks
    for sender in () if context.is_expected_in_draft else senders:
        rule = blocked_rule(sender, context.blocked)
        if rule and "blocked_sender" not in skip:
            sentence = REASONS["blocked_sender"].format(sender=sender, rule=rule)
            return Rejection("blocked_sender", sentence)
    score = spam_score(context.esp_verdicts, context.spam_threshold)
    if score is not None and "spam" not in skip and not context.is_expected_in_draft:
        return Rejection("spam", REASONS["spam"].format(score=score))
    # A forwarding confirmation is still authenticated: a forged one would put a stranger's
    # link and code in front of the admin in the connect wizard.
    if "auth_failed" not in skip and dmarc_failed(parsed, context):
        sender = parsed.from_email or "The sender"
        return Rejection("auth_failed", REASONS["auth_failed"].format(sender=sender))
    if not parsed.from_email and not is_bounce(parsed):
        return Rejection("malformed", REASONS["malformed"].format(detail="it has no sender."))
    return None


def blocked_rule(sender: str, blocked: frozenset[str]) -> str:
    """The blocked-list entry matching the address or its domain (or a parent domain), or ""."""
    sender = sender.lower()
    if sender in blocked:
        return sender
    domain = sender.rpartition("@")[2]
    while domain:
        if domain in blocked:
            return domain
        domain = domain.partition(".")[2]
    return ""


def spam_score(verdicts: dict[str, object], threshold: float) -> str | None:
    """A description of the ESP's spam verdict when it rejects the mail, else None.

    Only a verdict the ESP computed itself counts: a sender can write `X-Spam-Status: No` into any
    mail, and anymail reads such headers straight from the MIME (docs/reliability.md, "Forged spam
    verdicts").
    """
    if verdicts.get("verdict_source") != "esp":
        return None
    score = verdicts.get("spam_score")
    if isinstance(score, int | float):
        return f" (score {score:g}, threshold {threshold:g})" if score >= threshold else None
    return "" if verdicts.get("spam_detected") is True else None


def loop_reason(parsed: ParsedEmail, context: ValidationContext) -> str:
    if context.loop_header_value and any(
        context.loop_header_value.lower() in value.lower() for value in parsed.header_all("x-loop")
    ):
        return "it carries our loop header"
    if context.message_id_is_ours:
        return "its Message-ID is one we sent"
    from_us = bool(parsed.from_email) and parsed.from_email in context.our_from_addresses
    if from_us and (
        is_auto_reply(parsed) or parsed.header("precedence").lower() in {"bulk", "junk"}
    ):
        return "an automatic mail from our own address"
    received = len(parsed.header_all("received"))
    if received > MAX_RECEIVED:
        return f"it passed {received} mail servers"
    return ""


# --- Authentication (RFC 8601 Authentication-Results, RFC 8617 ARC) -------------------------

_RESULT = re.compile(r"\b(dmarc|dkim|arc|spf)\s*=\s*([a-z]+)([^;]*)", re.IGNORECASE)
_DKIM_DOMAIN = re.compile(r"header\.(?:d|i)\s*=\s*@?([^\s;]+)", re.IGNORECASE)
_SEAL_DOMAIN = re.compile(r"\bd\s*=\s*([^\s;]+)", re.IGNORECASE)
_SEAL_INSTANCE = re.compile(r"\bi\s*=\s*(\d+)", re.IGNORECASE)


def trusted_auth_results(parsed: ParsedEmail, authserv_ids: frozenset[str]) -> str | None:
    """The topmost Authentication-Results our own receiving service added, or None.

    Headers are prepended as mail travels, so the topmost is the last hop's: ours. Any other A-R
    (lower down, or with a foreign authserv-id) may have been written by the sender
    (docs/reliability.md, "Forged Authentication-Results").
    """
    for value in parsed.header_all("authentication-results"):
        authserv_id = value.split(";", 1)[0].strip().split()[0].lower() if value.strip() else ""
        if authserv_id in authserv_ids:
            return value
    return None


def dmarc_failed(parsed: ParsedEmail, context: ValidationContext) -> bool:
    """DMARC failed on the From domain, and neither an aligned DKIM pass nor a trusted ARC seal
    explains it as forwarding damage (forwarding breaks SPF, never a DKIM signature)."""
    results = trusted_auth_results(parsed, context.authserv_ids)
    verdict = str(context.esp_verdicts.get("dmarc_verdict") or "").lower()
    if results is None and verdict != "fail":
        return False
    found = {m.group(1).lower(): m.group(2).lower() for m in _RESULT.finditer(results or "")}
    if results is not None and found.get("dmarc") != "fail" and verdict != "fail":
        return False
    domain = parsed.from_email.rpartition("@")[2]
    if results and _aligned_dkim_pass(results, domain):
        return False
    return not (
        results
        and found.get("arc") == "pass"
        and _arc_sealer(parsed) in context.trusted_arc_sealers
    )


def dmarc_aligned_pass(parsed: ParsedEmail, authserv_ids: frozenset[str]) -> bool:
    """Our own receiving service authenticated the From domain: DMARC passed for it, or a DKIM
    signature aligned with it passed. Only our Authentication-Results count (a sender can write
    any other); used to believe a colleague's forward (docs/reliability.md, "Forwarded mail")."""
    results = trusted_auth_results(parsed, authserv_ids)
    domain = parsed.from_email.rpartition("@")[2].lower()
    if results is None or not domain or len(parsed.from_addresses) > 1:
        return False
    for match in _RESULT.finditer(results):
        if match.group(1).lower() != "dmarc" or match.group(2).lower() != "pass":
            continue
        header_from = _HEADER_FROM.search(match.group(3))
        if header_from is None or header_from.group(1).lower().strip(".") == domain:
            return True
    return _aligned_dkim_pass(results, domain)


_HEADER_FROM = re.compile(r"header\.from\s*=\s*([^\s;]+)", re.IGNORECASE)


def _aligned_dkim_pass(results: str, from_domain: str) -> bool:
    for match in _RESULT.finditer(results):
        if match.group(1).lower() != "dkim" or match.group(2).lower() != "pass":
            continue
        signing = _DKIM_DOMAIN.search(match.group(3))
        if signing and _aligned(signing.group(1).lower().rpartition("@")[2], from_domain):
            return True
    return False


def _aligned(signing_domain: str, from_domain: str) -> bool:
    """Relaxed alignment: same organisational domain (approximated by the last two labels)."""
    signing_domain, from_domain = signing_domain.strip(".").lower(), from_domain.lower()
    if not signing_domain or not from_domain:
        return False
    if signing_domain == from_domain or from_domain.endswith("." + signing_domain):
        return True
    return signing_domain.endswith("." + from_domain)


def _arc_sealer(parsed: ParsedEmail) -> str:
    """The domain of the ARC-Seal with the highest instance (the last forwarder to seal it)."""
    best, best_instance = "", -1
    for value in parsed.header_all("arc-seal"):
        instance, domain = _SEAL_INSTANCE.search(value), _SEAL_DOMAIN.search(value)
        if instance and domain and int(instance.group(1)) > best_instance:
            best, best_instance = domain.group(1).lower(), int(instance.group(1))
    return best


# --- Flags: accepted, but no ticket, no assignment, no notification -------------------------

_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheitsnotiz|"
    r"r[ée]ponse automatique|respuesta autom[aá]tica|fuera de la oficina|"
    r"resposta autom[aá]tica|risposta automatica|fuori sede|automatisch antwoord|"
    r"afwezig|odpowied[zź] automatyczna)",
    re.IGNORECASE,
)


def is_auto_reply(parsed: ParsedEmail) -> bool:
    """RFC 3834 and the vendor headers that say no human wrote this (docs/reliability.md,
    "Auto-replies")."""
    auto_submitted = parsed.header("auto-submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    if parsed.header("x-auto-response-suppress") or parsed.header("x-autoreply"):
        return True
    if parsed.header("x-autorespond") or parsed.header("x-ms-exchange-inbox-rules-loop"):
        return True
    if parsed.header("precedence").lower() in {"bulk", "junk", "auto_reply"}:
        return True
    return bool(_AUTO_SUBJECT.match(parsed.subject))


_DSN_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)


def is_bounce(parsed: ParsedEmail) -> bool:
    """A delivery status notification (RFC 3464) or a non-standard one with its usual marks."""
    content_type = parsed.header("content-type").lower()
    if "report-type=delivery-status" in content_type.replace('"', "").replace(" ", ""):
        return True
    if parsed.header("x-failed-recipients"):
        return True
    return bool(parsed.from_email and _DSN_SENDER.match(parsed.from_email)) and bool(
        parsed.report_texts
        or re.search(r"undeliver|delivery|failure|returned", parsed.subject, re.I)
    )


_ANY_MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")


def ids_quoted_by_bounce(parsed: ParsedEmail) -> tuple[str, ...]:
    """The Message-IDs a bounce names: its In-Reply-To and References, then every id quoted in
    the delivery report or the body (where a DSN quotes the headers of the mail it returns)."""
    reports = "\n".join(parsed.report_texts) + "\n" + parsed.text[:200_000]
    return (*parsed.in_reply_to, *parsed.references, *_ANY_MESSAGE_ID.findall(reports))
