"""Stage 4: where the message goes. A Decision, applied by the pipeline through services."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
) -> Decision:
    """Decide what the message becomes. Threads by message ids only, never by subject."""
    if candidates.test_token:
        return TestEmailReturned(candidates.test_token)
    confirmation = forwarding_confirmation(parsed)
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
# without asking the destination, so they send nothing to recognise. Other providers are added
# to _PROVIDERS once their verification mail is documented.

_PROVIDERS = {
    "forwarding-noreply@google.com": "gmail",
    "mail-noreply@google.com": "gmail",
}
_CODE_IN_SUBJECT = re.compile(r"\(#\s*(\d{5,12})\s*\)")
_CODE_IN_BODY = re.compile(r"(?<!\d)(\d{6,12})(?!\d)")
_GOOGLE_LINK = re.compile(
    r"https://(?:mail-settings|mail|isolated\.mail)\.google\.com/mail/[^\s<>\"')\]]+"
)


def forwarding_confirmation(parsed: ParsedEmail) -> ForwardingConfirmation | None:
    provider = _PROVIDERS.get(parsed.from_email)
    if provider is None:
        return None
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
