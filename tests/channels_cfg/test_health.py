"""A connected channel that stops receiving mail is reported to the workspace's admins by mail,
once per quiet spell (channels_cfg.health, run hourly by beat)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from channels_cfg.health import channels_alert_quiet
from channels_cfg.models import EmailChannel
from channels_cfg.services.channels import channel_mark_inbound
from channels_cfg.tasks import alert_quiet_channels
from helpdesk.celery import app as celery_app
from tests.factories import AdminFactory, AgentFactory, EmailChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiet_channel(workspace):
    now = timezone.now()
    return EmailChannelFactory(
        workspace=workspace,
        name="Support",
        team_address="help@acme.example",
        status=EmailChannel.Status.CONNECTED,
        connected_at=now - timedelta(days=60),
        last_inbound_at=now - timedelta(days=9),
    )


def alert(now, django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return channels_alert_quiet(now=now)


def test_admins_are_told_once_per_quiet_spell(
    quiet_channel, workspace, django_capture_on_commit_callbacks
):
    admin = AdminFactory(workspace=workspace, user__email="boss@acme.example")
    AgentFactory(workspace=workspace, user__email="agent@acme.example")
    AdminFactory(user__email="other-workspace@else.example")
    now = timezone.now()
    assert alert(now, django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [admin.user.email]
    assert sent.subject == "No mail has reached Support for 9 days"
    assert "help@acme.example may have stopped forwarding" in sent.body
    assert "/settings/channels/" in sent.body
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    # The next hourly run says nothing more.
    assert alert(now + timedelta(hours=1), django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1
    # Mail comes back, then stops again: a new spell, a new alert.
    channel_mark_inbound(channel_id=quiet_channel.pk, at=now + timedelta(days=1))
    assert alert(now + timedelta(days=2), django_capture_on_commit_callbacks) == 0
    assert alert(now + timedelta(days=9), django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"last_inbound_at_days": 2},
        {"status": EmailChannel.Status.DISCONNECTED},
        {"status": EmailChannel.Status.DRAFT},
        {"test_email_received_at_days": 1},
    ],
)
def test_a_healthy_or_unconnected_channel_raises_no_alert(
    quiet_channel, workspace, django_capture_on_commit_callbacks, change
):
    AdminFactory(workspace=workspace)
    now = timezone.now()
    updates = {}
    if "status" in change:
        updates["status"] = change["status"]
    if "last_inbound_at_days" in change:
        updates["last_inbound_at"] = now - timedelta(days=change["last_inbound_at_days"])
    if "test_email_received_at_days" in change:
        updates["test_email_received_at"] = now - timedelta(
            days=change["test_email_received_at_days"]
        )
    EmailChannel.objects.filter(pk=quiet_channel.pk).update(**updates)
    assert alert(now, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_a_channel_that_never_got_mail_is_reported_a_day_after_connecting(
    workspace, django_capture_on_commit_callbacks
):
    AdminFactory(workspace=workspace)
    now = timezone.now()
    channel = EmailChannelFactory(
        workspace=workspace, status=EmailChannel.Status.CONNECTED, connected_at=now
    )
    assert alert(now + timedelta(hours=12), django_capture_on_commit_callbacks) == 0
    assert alert(now + timedelta(days=2), django_capture_on_commit_callbacks) == 1
    assert EmailChannel.objects.get(pk=channel.pk).quiet_alerted_at is not None


def test_beat_runs_the_check_hourly(quiet_channel, workspace, settings):
    AdminFactory(workspace=workspace)
    schedule = {
        entry["task"]: entry["schedule"]
        for entry in settings.CELERY_CONFIG["beat_schedule"].values()
    }
    assert schedule["channels_cfg.alert_quiet_channels"] == 3600
    assert "channels_cfg.alert_quiet_channels" in celery_app.tasks
    assert alert_quiet_channels.apply().get() == 1
    assert EmailChannel.objects.get(pk=quiet_channel.pk).quiet_alerted_at is not None
