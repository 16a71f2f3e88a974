"""Stage 4: where the message goes. A Decision, applied by the pipeline through services."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from helpdesk.html_text import html_to_text
from inbox.inbound.attribute import Attribution
from inbox.inbound.parse import ParsedEmail, addresses


@dataclass(frozen=True)
class NewThread:
    make_ticket: bool
    auto_assign: bool
    flagged: bool  # an auto-reply or bounce: stored, but no ticket and no assignment


@dataclass(frozen=True)
class AppendToThread:
    thread_id: int
    reopen: bool


@dataclass(frozen=True)
class ForwardingConfirmation:
    provider: str
    requested_by: str
    code: str
    confirm_url: str


@dataclass(frozen=True)
class TestEmailReturned:
    token: str


@dataclass(frozen=True)
class Duplicate:
    message_id: str


Decision = NewThread | AppendToThread | ForwardingConfirmation | TestEmailReturned | Duplicate


@dataclass(frozen=True)
class Candidates:
    """What the database knows that routing needs, loaded by selectors."""

    thread_by_message_id: dict[
        str, int
    ]  # referenced ids -> thread (ours decoded, others looked up)
    closed_thread_ids: frozenset[int] = frozenset()
    is_duplicate: bool = False
    test_token: str | None = None
    bounce_thread_id: int | None = None  # the thread of the outbound message a bounce reports on


@dataclass(frozen=True)
class ChannelRouting:
    create_tickets: bool
    auto_assign: bool


def route(
    parsed: ParsedEmail,
    attribution: Attribution,
    candidates: Candidates,
    channel: ChannelRouting,
    *,
    is_auto_reply: bool,
    is_bounce: bool,
    confirmation: ForwardingConfirmation | None = None,
) -> Decision:
    """Decide what the message becomes. Threads by message ids only, never by subject.

    `confirmation` is what `forwarding_confirmation` found in the mail: validation needs it
    first (a draft channel takes it), so the pipeline computes it once and passes it here.
    """
    if candidates.test_token:
        return TestEmailReturned(candidates.test_token)
    if confirmation is not None:
        return confirmation
    if candidates.is_duplicate:
        return Duplicate(parsed.message_id)
    thread_id = thread_for(parsed, candidates.thread_by_message_id)
    if is_bounce and candidates.bounce_thread_id is not None:
        thread_id = candidates.bounce_thread_id
    flagged = is_auto_reply or is_bounce
    if thread_id is not None:
        # A reply reopens a closed conversation; an out-of-office or a bounce leaves it closed.
        reopen = thread_id in candidates.closed_thread_ids and not flagged
        return AppendToThread(thread_id, reopen)
    return NewThread(
        make_ticket=channel.create_tickets and not flagged,
        auto_assign=channel.auto_assign and not flagged,
        flagged=flagged,
    )


def referenced_ids(parsed: ParsedEmail) -> tuple[str, ...]:
    """In-Reply-To first, then References from the newest back: the most specific match wins."""
    seen: dict[str, None] = {}
    for message_id in (*parsed.in_reply_to, *reversed(parsed.references)):
        seen.setdefault(message_id, None)
    return tuple(seen)


def thread_for(parsed: ParsedEmail, known: dict[str, int]) -> int | None:
    for message_id in referenced_ids(parsed):
        if message_id in known:
            return known[message_id]
    return None


# --- Forwarding confirmations -----------------------------------------------------------
# Gmail (support.google.com/mail/answer/10957): from forwarding-noreply@google.com, the
# subject starts "(#<code>)" in every language ("Gmail Forwarding Confirmation",
# "Confirmación de reenvío de Gmail", "Gmail-Weiterleitungsbestätigung"...), the body holds the
# code and a mail-settings.google.com/mail/vf-... link. Outlook.com and Microsoft 365 forward
# without asking the destination, so they send nothing to recognise.
#
# Zoho, Yahoo and the rest mail a verification link too, but document neither its sender nor its
# wording. So a draft channel, whose forwarding address nobody but the admin connecting it knows
# yet, also takes any mail that reads like a forwarding verification and carries a confirming
# link or a code. A connected channel trusts only the senders below: there, a stranger's mail
# must not turn into a confirmation the admin is asked to open.

_PROVIDERS = {
    "forwarding-noreply@google.com": "gmail",
    "mail-noreply@google.com": "gmail",
}
_CODE_IN_SUBJECT = re.compile(r"\(#\s*(\d{5,12})\s*\)")
_CODE_IN_BODY = re.compile(r"(?<!\d)(\d{6,12})(?!\d)")
_GOOGLE_LINK = re.compile(
    r"https://(?:mail-settings|mail|isolated\.mail)\.google\.com/mail/[^\s<>\"')\]]+"
)
# "Forward", "verify", "confirm" in the languages of the forward markers (forwarded.py).
_VERIFICATION_WORDS = re.compile(
    r"forward|verif|confirm|weiterleit|bestätig|transf|réexpédi|reenv|encaminh|inoltr|"
    r"doorstu|bevestig|przekaz|przekier|potwierdz|weryfik|bekräfta|vidaresänd",
    re.IGNORECASE,
)
_ANY_LINK = re.compile(r"https://[^\s<>\"'()\[\]]+")
_CONFIRMING_LINK = re.compile(r"confirm|verif|valid|forward|activat|approv|accept", re.IGNORECASE)
_CODE_AFTER_WORD = re.compile(
    r"(?:code|código|codice|kod|Bestätigungscode)\b[^\w\n]{0,24}(\d{4,12})(?!\d)", re.IGNORECASE
)
# Which provider a sender's domain belongs to, by whole labels ("me.com" is not "acme.com").
_PROVIDER_BY_DOMAIN = (
    (re.compile(r"(?:^|\.)zoho(?:mail)?\."), "zoho"),
    (re.compile(r"(?:^|\.)(?:yahoo(?:-inc)?|ymail|aol)\."), "yahoo"),
    (re.compile(r"(?:^|\.)(?:(?:icloud|me|mac)\.com|apple\.com)$"), "icloud"),
    (re.compile(r"(?:^|\.)(?:fastmail|messagingengine)\."), "fastmail"),
    (re.compile(r"(?:^|\.)(?:outlook|hotmail|live|microsoft)\."), "outlook"),
    (re.compile(r"(?:^|\.)(?:google|gmail|googlemail)\."), "gmail"),
)
_NO_REPLY = re.compile(r"no-?reply|do-?not-?reply|mailer-daemon|postmaster", re.IGNORECASE)


def forwarding_confirmation(
    parsed: ParsedEmail, *, from_any_sender: bool = False
) -> ForwardingConfirmation | None:
    """The provider's forwarding verification this mail is, or None.

    `from_any_sender` (a draft channel) also recognises providers that are not Gmail by what
    the mail says rather than who sent it.
    """
    provider = _PROVIDERS.get(parsed.from_email)
    if provider is None:
        return _verification_from_any_sender(parsed) if from_any_sender else None
    subject_code = _CODE_IN_SUBJECT.search(parsed.subject)
    link = _GOOGLE_LINK.search(parsed.text) or _GOOGLE_LINK.search(parsed.html)
    if not subject_code and not link:
        return None  # some other mail from Google: not a confirmation
    body_code = _CODE_IN_BODY.search(parsed.text)
    code = subject_code.group(1) if subject_code else body_code.group(1) if body_code else ""
    requested_by = ""
    for _, address in addresses(parsed.subject.replace(" ", ", ")) or addresses(
        parsed.text[:500].replace(" ", ", ")
    ):
        if not address.endswith("google.com"):
            requested_by = address
            break
    return ForwardingConfirmation(
        provider=provider,
        requested_by=requested_by[:254],
        code=code,
        confirm_url=link.group(0).rstrip(".,;")[:2000] if link else "",
    )


def _verification_from_any_sender(parsed: ParsedEmail) -> ForwardingConfirmation | None:
    text = parsed.text[:20_000] or html_to_text(parsed.html[:100_000])
    if not _VERIFICATION_WORDS.search(parsed.subject + "\n" + text[:3000]):
        return None
    links = _ANY_LINK.findall(parsed.text[:100_000]) + [
        html.unescape(link) for link in _ANY_LINK.findall(parsed.html[:400_000])
    ]
    link = next((link.rstrip(".,;") for link in links if _CONFIRMING_LINK.search(link)), "")
    code = _CODE_AFTER_WORD.search(parsed.subject) or _CODE_AFTER_WORD.search(text[:5000])
    if not link and not code:
        return None
    return ForwardingConfirmation(
        provider=_provider_of(parsed.from_email),
        requested_by=_requester(parsed, text)[:254],
        code=code.group(1) if code else "",
        confirm_url=link[:2000],
    )


def _provider_of(sender: str) -> str:
    domain = sender.rpartition("@")[2].lower()
    return next(
        (provider for pattern, provider in _PROVIDER_BY_DOMAIN if pattern.search(domain)), "other"
    )


def _requester(parsed: ParsedEmail, text: str) -> str:
    """The mailbox asking to forward here: the first address in the mail that is neither ours
    (the recipients) nor a robot's."""
    ours = {address.lower() for _, address in addresses(parsed.to)} | {parsed.from_email.lower()}
    found = addresses(parsed.subject.replace(" ", ", ")) + addresses(
        text[:2000].replace(" ", ", ").replace("\n", ", ")
    )
    for _, address in found:
        if address.lower() not in ours and not _NO_REPLY.search(address):
            return address
    return ""
