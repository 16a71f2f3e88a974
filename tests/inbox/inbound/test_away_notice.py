"""The notice an away contact owner gets says who wrote, about what, and how it starts, with a
link built from SITE_URL (the notice held only a link)."""

from __future__ import annotations

import pytest
from django.core import mail

from helpdesk.models import Agent
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

RAW = (
    b"From: Carla Customer <carla@customer.example>\r\nTo: support@acme.example\r\n"
    b"Subject: Printer is on fire\r\nMessage-ID: <away-1@customer.example>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Hello,\r\n\r\nmy printer is on fire.\r\nIt smells of toner.\r\n"
    + b"".join(f"Line {n} of the story.\r\n".encode() for n in range(1, 40))
)


@pytest.fixture
def away_owner(channel, agent):
    Agent.objects.filter(pk=agent.pk).update(availability=Agent.Availability.AWAY)
    ContactFactory(
        workspace=channel.workspace,
        email="carla@customer.example",
        name="Carla Customer",
        owner=agent.user,
    )
    channel.auto_assign, channel.assign_mode = True, "contact_owner"
    channel.company_name = "Acme"
    channel.save()
    return agent


def test_the_away_notice_says_who_wrote_the_subject_and_the_first_lines(
    deliver, away_owner, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://127.0.0.1:8123"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        row = deliver(RAW)
    thread_id = row.message.thread_id
    [notice] = mail.outbox
    body = notice.body
    assert "Carla Customer <carla@customer.example>" in body
    assert "Subject: Printer is on fire" in body
    assert "> Hello,\n>\n> my printer is on fire.\n> It smells of toner." in body
    assert "Line 3 of the story." in body
    assert "Line 30 of the story." not in body  # the first lines only
    assert f"http://127.0.0.1:8123/inbox/threads/{thread_id}/" in body
    assert notice.subject == "New conversation while you are away: Printer is on fire"
