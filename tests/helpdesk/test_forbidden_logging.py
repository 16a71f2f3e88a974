"""An expected refusal (403) is one log line, not a traceback."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "django.request"]


def test_an_agent_opening_admin_settings_logs_one_line(
    agent_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = agent_client.get("/settings/channels/")

    assert response.status_code == 403
    records = _request_records(caplog)
    assert len(records) == 1
    (record,) = records
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and not record.exc_text
    line = logging.Formatter().format(record)
    assert "Traceback" not in line and "\n" not in line
    assert "/settings/channels/" in line
    # The reason is in the line, so the one line still says why.
    assert "Only workspace admins can do this." in line


def test_a_login_without_a_workspace_logs_one_line(
    django_user_model, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    client.force_login(django_user_model.objects.create_user("drifter", password="pw-1234567"))
    with caplog.at_level(logging.INFO):
        assert client.get("/inbox/").status_code == 403

    (record,) = _request_records(caplog)
    assert record.exc_info is None
    assert "\n" not in logging.Formatter().format(record)


def test_an_unexpected_error_keeps_its_traceback() -> None:
    from helpdesk.forbidden_logging import ExpectedRefusalsOneLine

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            ("/x",),
            sys.exc_info(),
        )
    record.status_code = 500
    assert ExpectedRefusalsOneLine().filter(record)
    assert record.exc_info is not None
