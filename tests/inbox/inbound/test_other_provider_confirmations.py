"""Forwarding verifications from providers other than Gmail (Zoho, Yahoo, a company's own
server) reach a draft channel's wizard whatever their sender and language, and never turn a
connected channel's mail into a link the admin is asked to open."""

from __future__ import annotations

import pytest

from channels_cfg.models import EmailChannel, ForwardingConfirmation
from inbox.inbound.route import _provider_of
from inbox.models import Message, Thread

pytestmark = pytest.mark.django_db


def verification(
    channel: EmailChannel, *, sender: str, subject: str, body: str, html: bool = False
) -> bytes:
    kind = "html" if html else "plain"
    return (
        f"From: Mail Service <{sender}>\r\n"
        f"To: {channel.forwarding_address.address}\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <verify-{abs(hash(subject))}@{sender.partition('@')[2]}>\r\n"
        f"Content-Type: text/{kind}; charset=utf-8\r\n\r\n{body}"
    ).encode()


def zoho_like(channel: EmailChannel) -> bytes:
    return verification(
        channel,
        sender="noreply@zohomail.example",
        subject="Email forwarding verification",
        body=(
            "Hello,\r\n\r\nowner@shop.example has added "
            f"{channel.forwarding_address.address} as a forwarding address.\r\n"
            "To start receiving the mails, click the link below:\r\n"
            "https://mail.zoho.example/zm/VerifyForward.do?token=abc123&mode=fwd\r\n\r\n"
            "See our privacy policy: https://www.zoho.example/privacy.html\r\n"
        ),
    )


def set_status(channel: EmailChannel, status: str) -> None:
    EmailChannel.objects.filter(pk=channel.pk).update(status=status)


def test_a_draft_channel_records_another_providers_verification_link(deliver, channel):
    set_status(channel, EmailChannel.Status.DRAFT)
    row = deliver(zoho_like(channel))
    assert row.status == "accepted"
    confirmation = ForwardingConfirmation.objects.get(channel=channel)
    assert confirmation.provider == "zoho"
    assert confirmation.confirm_url == (
        "https://mail.zoho.example/zm/VerifyForward.do?token=abc123&mode=fwd"
    )
    assert confirmation.requested_by == "owner@shop.example"
    thread = Message.objects.get(inbound=row).thread
    assert thread.kind == Thread.Kind.FORWARDING_CONFIRMATION


def test_an_html_only_verification_in_german_gives_its_code_and_unescaped_link(deliver, channel):
    set_status(channel, EmailChannel.Status.DRAFT)
    body = (
        "<p>Bitte bestätigen Sie die Weiterleitung an "
        f"{channel.forwarding_address.address}.</p>"
        "<p>Ihr Bestätigungscode: <b>482913</b></p>"
        '<p><a href="https://login.yahoo.example/account/verify?fwd=1&amp;t=Zx9">'
        'Jetzt bestätigen</a> · <a href="https://yahoo.example/hilfe">Hilfe</a></p>'
    )
    row = deliver(
        verification(
            channel,
            sender="no-reply@cc.yahoo.example",
            subject="Weiterleitung bestätigen",
            body=body,
            html=True,
        )
    )
    assert row.status == "accepted"
    confirmation = ForwardingConfirmation.objects.get(channel=channel)
    assert (confirmation.provider, confirmation.code) == ("yahoo", "482913")
    assert confirmation.confirm_url == "https://login.yahoo.example/account/verify?fwd=1&t=Zx9"


def test_an_unknown_senders_verification_is_recorded_as_other(deliver, channel):
    set_status(channel, EmailChannel.Status.DRAFT)
    raw = verification(
        channel,
        sender="postmaster@mail.company.example",
        subject="Please confirm the new forwarding rule",
        body="Confirmation code: 7741\r\n",
    )
    assert deliver(raw).status == "accepted"
    confirmation = ForwardingConfirmation.objects.get(channel=channel)
    assert (confirmation.provider, confirmation.code, confirmation.confirm_url) == (
        "other",
        "7741",
        "",
    )


def test_a_draft_channel_still_rejects_mail_that_only_talks_about_verifying(deliver, channel):
    set_status(channel, EmailChannel.Status.DRAFT)
    raw = verification(
        channel,
        sender="carla@customer.example",
        subject="Can you verify my order?",
        body="I ordered last week, see https://shop.example/orders/17\r\n",
    )
    row = deliver(raw)
    assert (row.status, row.reason_code) == ("rejected", "channel_draft")
    assert not ForwardingConfirmation.objects.exists()


def test_a_connected_channel_treats_such_mail_as_an_ordinary_conversation(deliver, channel):
    set_status(channel, EmailChannel.Status.CONNECTED)
    row = deliver(zoho_like(channel))
    assert row.status == "accepted"
    assert not ForwardingConfirmation.objects.exists()
    assert Message.objects.get(inbound=row).thread.kind == Thread.Kind.CONVERSATION


@pytest.mark.parametrize(
    ("sender", "provider"),
    [
        ("noreply@zohomail.example", "zoho"),
        ("no-reply@cc.yahoo-inc.example", "yahoo"),
        ("no-reply@cc.yahoo.example", "yahoo"),
        ("noreply@me.com", "icloud"),
        ("noreply@acme.com", "other"),  # "me.com" is only a whole domain
        ("alerts@messagingengine.example", "fastmail"),
        ("postmaster@mail.company.example", "other"),
    ],
)
def test_the_provider_is_named_by_whole_domain_labels(sender, provider):
    assert _provider_of(sender) == provider
