"""The plain-text part of a reply keeps the signature's lines apart ("Best regards, Alice
AgentAcme Billing" was one line when opening block tags did not end lines)."""

from __future__ import annotations

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "signature_html",
    [
        # What the signature editor (contenteditable) writes, and what people paste.
        "Best regards,<div>{{full_name}}</div><div>Acme Billing</div>",
        "Best regards,<br>{{full_name}}<div>Acme Billing</div>",
        "<p>Best regards,<br>{{full_name}}</p><p>Acme Billing</p>",
        "<div>Best regards,</div><div>{{full_name}}<br></div><div><b>Acme</b> Billing</div>",
        "Best regards,<br>\n{{full_name}}<table><tr><td>Acme Billing</td></tr></table>",
    ],
)
def test_signature_lines_stay_apart_in_the_text_part(
    signature_html, agent_client, agent, conversation, channel, django_capture_on_commit_callbacks
):
    channel.signature_html = signature_html
    channel.save()
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(f"/inbox/threads/{conversation.pk}/reply/", {"body": "On it."})
    [sent] = mail.outbox
    lines = sent.body.splitlines()
    for line in ("On it.", "Best regards,", agent.full_name, "Acme Billing"):
        assert line in lines, sent.body
