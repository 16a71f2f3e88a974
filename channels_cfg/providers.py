"""Step-by-step instructions for setting up automatic forwarding at each mail provider.

Menu paths follow each provider's own help pages (checked 2026); `{address}` is replaced by the
channel's forwarding address and `{team_address}` by the team mailbox, as plain text (templates
escape it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    slug: str
    name: str
    steps: tuple[str, ...]
    # What the provider sends to the forwarding address before forwarding starts, if anything.
    confirmation: str
    notes: tuple[str, ...] = ()
    # Whether the wizard waits for that confirmation: a provider that sends none would leave
    # "Waiting for a confirmation..." spinning forever.
    sends_confirmation: bool = True

    def steps_for(self, *, address: str, team_address: str = "") -> list[str]:
        mailbox = team_address or "your team mailbox"
        return [step.format(address=address, team_address=mailbox) for step in self.steps]


_GMAIL_STEPS = (
    "Sign in to Gmail as {team_address}.",
    "Click the gear icon, then See all settings.",
    "Open the Forwarding and POP/IMAP tab and click Add a forwarding address.",
    "Enter {address}, click Next, then Proceed and OK.",
    "Gmail mails a confirmation code to {address}: it appears below within a minute. "
    "Open its confirmation link, or type the code into Gmail's Verify box.",
    "Back on Forwarding and POP/IMAP, select Forward a copy of incoming mail to {address}, "
    "choose keep Gmail's copy in the Inbox, and click Save Changes.",
)

PROVIDERS: tuple[Provider, ...] = (
    Provider(
        slug="gmail",
        name="Gmail",
        steps=_GMAIL_STEPS,
        confirmation="Gmail sends a confirmation code and link to the forwarding address.",
    ),
    Provider(
        slug="google_workspace",
        name="Google Workspace / Google Groups",
        steps=(
            "For a user mailbox: follow the Gmail steps while signed in as {team_address}.",
            "If Gmail does not offer forwarding, a Google Workspace admin must allow it: "
            "Admin console > Apps > Google Workspace > Gmail > End User Access > "
            "Automatic forwarding, tick Allow users to automatically forward incoming email "
            "to another address, and Save.",
            "For a Google Group ({team_address} is a group): open groups.google.com, choose the "
            "group, then Members > Add members.",
            "Enter {address}, turn on Directly add members, and click Add members.",
            "In the group's Settings, set Who can post to Anyone on the web (or external), so "
            "customers' mail reaches the group, and save.",
        ),
        confirmation="A user mailbox gets Gmail's confirmation code; a Google Group does not "
        "send one when the address is added directly.",
        notes=(
            "Google Groups rewrites the sender to 'Name via Group'; the helpdesk still "
            "attributes each conversation to the original sender.",
        ),
    ),
    Provider(
        slug="outlook",
        name="Outlook.com",
        steps=(
            "Sign in to Outlook.com as {team_address}.",
            "Click the gear icon (Settings), then Mail > Forwarding.",
            "Turn on Enable forwarding and enter {address}.",
            "Tick Keep a copy of forwarded messages, then Save.",
        ),
        confirmation="Outlook.com does not send a confirmation code.",
        sends_confirmation=False,
    ),
    Provider(
        slug="microsoft365",
        name="Microsoft 365 / Exchange",
        steps=(
            "In the Microsoft 365 admin center, open Users > Active users (or Teams & groups > "
            "Shared mailboxes) and select {team_address}.",
            "On the Mail tab, choose Manage email forwarding.",
            "Tick Forward all emails sent to this mailbox, enter {address}, keep Keep a copy "
            "of forwarded email in this mailbox ticked, and Save changes.",
            "Microsoft blocks forwarding to outside addresses by default: in the Microsoft "
            "Defender portal open Email & collaboration > Policies & rules > Threat policies > "
            "Anti-spam, edit the outbound spam filter policy, and set Automatic forwarding "
            "rules to On - Forwarding is enabled (for this mailbox or all).",
            "Without admin rights: in Outlook on the web, Settings > Mail > Forwarding, turn "
            "on Enable forwarding, enter {address} and Save.",
        ),
        confirmation="Microsoft 365 does not send a confirmation code.",
        sends_confirmation=False,
    ),
    Provider(
        slug="yahoo",
        name="Yahoo Mail",
        steps=(
            "Sign in to Yahoo Mail as {team_address}.",
            "Click Settings, then More Settings > Mailboxes, and select the mailbox.",
            "Under Forwarding, enter {address} and click Verify.",
            "Yahoo mails a verification link to {address}: it appears below. Open the link.",
            "Back in Mailboxes, make sure forwarding is on and click Save.",
        ),
        confirmation="Yahoo sends a verification link to the forwarding address.",
        notes=("In some regions Yahoo offers automatic forwarding only with Yahoo Mail Plus.",),
    ),
    Provider(
        slug="icloud",
        name="iCloud Mail",
        steps=(
            "Sign in to icloud.com/mail as {team_address}.",
            "Click the Settings icon at the top of the mailbox list, then Settings "
            "(or Preferences) > General.",
            "Tick Forward my email to, enter {address}, and leave Delete messages after "
            "forwarding unticked.",
            "Click Done.",
        ),
        confirmation="iCloud does not send a confirmation code.",
        sends_confirmation=False,
    ),
    Provider(
        slug="zoho",
        name="Zoho Mail",
        steps=(
            "Sign in to Zoho Mail as {team_address}.",
            "Open Settings > Mail Accounts (Email Forwarding and POP/IMAP in older versions) "
            "and select {team_address}.",
            "Under Forwards (Email forwarding), add {address}.",
            "Zoho mails a confirmation to {address}: it appears below. Open its link; Zoho asks "
            "you to sign in to confirm.",
            "Leave Delete Zoho Mail's copy off, so the mailbox keeps a copy, and Save.",
        ),
        confirmation="Zoho sends a confirmation mail with a verification link.",
    ),
    Provider(
        slug="fastmail",
        name="Fastmail",
        steps=(
            "Sign in to Fastmail as {team_address}.",
            "Open Settings > Filters & Rules and click Create rule.",
            "For the condition choose All messages and click Continue.",
            "Choose the action Send a copy to, enter {address}, and Save.",
            "If {team_address} is an alias, you can instead set its target under Settings > "
            "My email addresses (that skips Fastmail's spam filter).",
        ),
        confirmation="Fastmail does not send a confirmation code.",
        sends_confirmation=False,
    ),
    Provider(
        slug="other",
        name="Other provider or server",
        steps=(
            "In your mail provider's settings for {team_address}, find automatic forwarding "
            "(often under Forwarding, Rules or Filters).",
            "Forward all incoming mail to {address}, keeping a copy in the mailbox.",
            "On your own server, an alias or a .forward / Sieve redirect to {address} works too.",
            "If the provider sends a confirmation code or link to {address}, it appears below.",
        ),
        confirmation="Many providers send a confirmation code or link first.",
    ),
)

_BY_SLUG = {provider.slug: provider for provider in PROVIDERS}


def provider_get(slug: str) -> Provider | None:
    """The provider with this slug, or None."""
    return _BY_SLUG.get(slug)


def provider_choices() -> list[tuple[str, str]]:
    return [(provider.slug, provider.name) for provider in PROVIDERS]
