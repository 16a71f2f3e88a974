"""Stage 3: who really wrote this mail (the contact), and who forwarded it to us.

The forwarded block in a body is only believed when the mail comes from the workspace's own
people or mailboxes, or from an authenticated colleague at the team's own domain: otherwise any
stranger could write "From: ceo@customer.com" in a body and choose which contact their mail is
filed under. Finding the block is forwarded.py's (by its shape, in any client and language).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from inbox.inbound.forwarded import (
    ForwardedBlock,
    find_forward,
    find_forwarded_block,
    may_hold_forward,
    subject_prefixes,
)
from inbox.inbound.parse import ParsedEmail, addresses

MAX_FOLLOW = 10  # forwards of forwards followed down to their writer


@dataclass(frozen=True)
class ChannelRules:
    attribute_to_forwarder: bool = False
    # Addresses whose forwards we believe: agents, the channel's mailbox, known forwarders.
    trusted_forwarders: frozenset[str] = frozenset()
    # Our own forwarding address: a Delivered-To naming it is our hop, not a forwarder.
    forwarding_address: str = ""
    # The team's own mail domains (its mailbox's, its from address's; never a shared provider's
    # such as gmail.com): a colleague there is believed when the mail is authenticated.
    colleague_domains: frozenset[str] = frozenset()
    # Our receiving service found the From domain authenticated (DMARC-aligned): computed by
    # the pipeline from the trusted Authentication-Results (validate.dmarc_aligned_pass).
    sender_authenticated: bool = False


@dataclass(frozen=True)
class Attribution:
    from_email: str
    from_name: str
    via: str  # from_header, gmail_forward, outlook_forward, apple_forward, thunderbird_forward,
    # yahoo_forward, quoted_forward, forward_without_address, rfc822, google_groups,
    # auto_forward, forwarder_setting
    forwarded_by: str = ""
    warnings: tuple[str, ...] = ()
    forwarder_note: str = ""
    text: str | None = None  # the forwarded message's body, when it replaces the outer one
    html: str | None = None
    subject: str | None = None
    rule: str = ""  # which rule of the forward detector chose the sender ("From label", ...)


_GROUP_NAME = re.compile(r"^'?(?P<name>.*?)'? via (?P<group>.+)$")


def attribute(parsed: ParsedEmail, rules: ChannelRules) -> Attribution:
    """Decide the contact for a message; pure, so tables of .eml fixtures test it directly."""
    warnings = list(sender_warnings(parsed))
    forwarded_by = auto_forwarder(parsed, rules.forwarding_address)
    if rules.attribute_to_forwarder:
        return Attribution(
            parsed.from_email, parsed.from_name, "forwarder_setting", forwarded_by, tuple(warnings)
        )
    group = google_groups_sender(parsed)
    if group is not None:
        name, email, group_address = group
        warnings.append(f"Sent via the group {group_address}; the sender is not verified.")
        return Attribution(email, name, "google_groups", group_address, tuple(warnings))
    # Headers are the sender's to write: a mailbox only counts as ours when the workspace knows
    # it (agents, the channel's address, mailboxes that confirmed forwarding to the channel), or
    # when our receiving service authenticated it at the team's own domain.
    if parsed.from_email and is_believed_forwarder(parsed.from_email, rules):
        manual = manual_forward(parsed, tuple(warnings), rules.trusted_forwarders)
        if manual is not None:
            return manual
    via = "auto_forward" if forwarded_by else "from_header"
    return Attribution(parsed.from_email, parsed.from_name, via, forwarded_by, tuple(warnings))


def is_believed_forwarder(address: str, rules: ChannelRules) -> bool:
    """Whether a forward from `address` names its original sender truthfully enough to file the
    mail under them: one of our own people or mailboxes, or a colleague at the team's domain
    whose mail passed DMARC-aligned authentication (docs/reliability.md, "Forwarded mail")."""
    address = address.lower()
    if address in rules.trusted_forwarders:
        return True
    domain = address.rpartition("@")[2]
    return rules.sender_authenticated and bool(domain) and domain in rules.colleague_domains


def sender_warnings(parsed: ParsedEmail) -> list[str]:
    """Caveats about the From header (docs/reliability.md, "Display names that look like addresses",
    "Several From addresses")."""
    warnings = []
    if "@" in parsed.from_name:
        warnings.append(
            f"The display name “{parsed.from_name[:100]}” contains an address; "
            f"the real sender is {parsed.from_email}."
        )
    if len(parsed.from_addresses) > 1:
        warnings.append("The From header names several senders; only the first is used.")
    return warnings


def auto_forwarder(parsed: ParsedEmail, forwarding_address: str = "") -> str:
    """The mailbox that automatically forwarded the mail to us (Gmail/Outlook rules, aliases).

    Resent-From is RFC 5322's own mark; Gmail writes X-Forwarded-For: <mailbox> <destination>;
    Delivered-To names each mailbox the mail was delivered to on the way, ours included.
    """
    for header in ("resent-from", "x-forwarded-for", "delivered-to"):
        for value in parsed.header_all(header):
            found = addresses(value.replace(" ", ", "))
            if found and found[0][1] not in {parsed.from_email, forwarding_address}:
                return found[0][1]
    return ""


def google_groups_sender(parsed: ParsedEmail) -> tuple[str, str, str] | None:
    """(name, address, group) when Google Groups rewrote From to the group (docs/reliability.md,
    "Google Groups")."""
    match = _GROUP_NAME.match(parsed.from_name or "")
    is_group = bool(match) or "googlegroups" in parsed.header("list-id").lower()
    original = parsed.header("x-original-from") or parsed.header("x-original-sender")
    if not is_group and not original:
        return None
    candidates = addresses(original) if original else []
    if not candidates and match and parsed.reply_to:
        candidates = [(match.group("name"), parsed.reply_to[0])]
    if not candidates or candidates[0][1] == parsed.from_email:
        return None
    name, email = candidates[0]
    return (name or (match.group("name") if match else ""), email, parsed.from_email)


def is_forward(parsed: ParsedEmail) -> bool:
    """The subject carries a forward's prefix ("Fwd:", "WG:", "TR:", "Re: Fwd:"...)."""
    return "forward" in subject_prefixes(parsed.subject)


def is_reply(parsed: ParsedEmail) -> bool:
    """The subject starts with a reply's prefix ("Re:", "AW:", "SV:", "回复"...)."""
    return subject_prefixes(parsed.subject)[:1] == ["reply"]


def may_be_forward(parsed: ParsedEmail) -> bool:
    """Whether attribution may find a forward here, so needs the trusted forwarders (which cost
    the pipeline two queries): a forward's subject, or a body that may hold one."""
    return is_forward(parsed) or may_hold_forward(parsed)


def manual_forward(
    parsed: ParsedEmail, warnings: tuple[str, ...], trusted: frozenset[str]
) -> Attribution | None:
    """The original sender of a forward: an attached message/rfc822, else the forwarded block
    (text, else HTML; a "wrote:" line under a forward's subject), None when there is none."""
    if parsed.embedded and (is_forward(parsed) or len(parsed.text.strip()) < 2000):
        inner = parsed.embedded[0]
        return Attribution(
            inner.from_email,
            inner.from_name,
            "rfc822",
            parsed.from_email,
            warnings,
            forwarder_note=parsed.text.strip(),
            text=inner.text,
            html=inner.html,
            subject=inner.subject,
            rule="attached message",
        )
    block = find_forward(
        text=parsed.text,
        html=parsed.html,
        subject=parsed.subject,
        replying=bool(parsed.in_reply_to),
    )
    if block is None:
        return None
    if not block.from_email:
        # A name and no address: guessing one would file the mail under a stranger.
        note = f"forwarded from {block.no_address_name[:200]}, no address given"
        return Attribution(
            parsed.from_email,
            parsed.from_name,
            "forward_without_address",
            parsed.from_email,
            (*warnings, note),
            rule=block.rule,
        )
    block = innermost(block, trusted | {parsed.from_email})
    return Attribution(
        block.from_email,
        block.from_name,
        block.via,
        parsed.from_email,
        warnings,
        forwarder_note=block.note,
        text=block.body,
        html="",
        subject=block.subject or None,
        rule=block.rule,
    )


def innermost(block: ForwardedBlock, own: frozenset[str]) -> ForwardedBlock:
    """The forwarded block naming the writer: a block whose sender is one of our own people
    (a forward of their own forward) is followed down to the block inside it."""
    outer = block
    for _ in range(MAX_FOLLOW):
        if block.from_email not in own:
            break
        inner = find_forwarded_block(block.body)
        if inner is None:
            break
        block = inner
    return replace(block, note=outer.note, is_forward_marker=outer.is_forward_marker)
