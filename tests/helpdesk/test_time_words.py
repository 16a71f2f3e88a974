""" "0 minutes ago" reads "just now": the `ago` filter, and the pages that show times with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone as django_timezone

from helpdesk.templatetags.time_words import ago
from tests.factories import ThreadFactory

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=-5), "just now"),  # a clock a little ahead
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=5, seconds=30), "5 minutes ago"),
        (timedelta(hours=2, minutes=3), "2 hours, 3 minutes ago"),
        (timedelta(days=3), "3 days ago"),
    ],
)
def test_ago(delta, words):
    assert ago(NOW - delta, NOW).replace("\xa0", " ") == words


def test_ago_of_nothing_is_empty():
    assert ago(None) == ""


@pytest.mark.django_db
def test_the_inbox_list_says_just_now(admin_client, workspace):
    ThreadFactory(workspace=workspace, last_message_at=django_timezone.now())
    page = admin_client.get("/inbox/").content.decode()
    assert ">just now</time>" in page
    assert "0 minutes ago" not in page


@pytest.mark.django_db
def test_the_channel_list_says_just_now(admin_client, workspace):
    from tests.factories import ForwardingAddressFactory

    forwarding = ForwardingAddressFactory(channel__workspace=workspace)
    forwarding.channel.last_inbound_at = django_timezone.now()
    forwarding.channel.save()
    page = admin_client.get("/settings/channels/").content.decode()
    assert ">just now</time>" in page
