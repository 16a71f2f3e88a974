"""Logins are throttled per username and address (django-axes): a clear refusal, and an unlock."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's password
LOCKED = "Too many failed logins"


def _log_in(client: Client, username: str, password: str, address: str = "203.0.113.9"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def _fail_until_locked(client: Client, username: str, address: str = "203.0.113.9") -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, username, "wrong password", address)


def test_the_right_password_is_refused_after_the_failure_limit(client: Client) -> None:
    username = AgentFactory().user.username
    _fail_until_locked(client, username)

    response = _log_in(client, username, PASSWORD)

    assert response.status_code == 429
    body = response.content.decode()
    assert LOCKED in body
    # The refusal is the login page itself, with the form to try again later.
    assert 'name="password"' in body and 'role="alert"' in body
    assert "_auth_user_id" not in client.session


def test_failures_under_the_limit_do_not_lock(client: Client) -> None:
    username = AgentFactory().user.username
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _log_in(client, username, "wrong password").status_code == 200
    assert _log_in(client, username, PASSWORD).status_code == 302


def test_reset_unlocks_the_login(client: Client) -> None:
    username = AgentFactory().user.username
    _fail_until_locked(client, username)
    assert _log_in(client, username, PASSWORD).status_code == 429

    call_command("axes_reset_username", username)

    response = _log_in(client, username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/inbox/"


def test_a_staff_member_unlocks_it_in_the_django_admin(client: Client, django_user_model) -> None:
    from axes.models import AccessAttempt

    username = AgentFactory().user.username
    _fail_until_locked(client, username)
    attempt = AccessAttempt.objects.get(username=username)
    staff = django_user_model.objects.create_superuser("operator", password="pw-operator-123")
    operator = Client()
    operator.force_login(staff)

    page = operator.get(f"/django-admin/axes/accessattempt/{attempt.pk}/delete/")
    assert page.status_code == 200
    operator.post(f"/django-admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert not AccessAttempt.objects.filter(username=username).exists()
    assert _log_in(client, username, PASSWORD).status_code == 302


def test_another_user_from_the_same_address_is_not_locked(client: Client) -> None:
    locked, other = AgentFactory().user.username, AgentFactory().user.username
    _fail_until_locked(client, locked)

    assert _log_in(Client(), other, PASSWORD).status_code == 302


def test_the_same_user_from_another_address_is_not_locked(client: Client) -> None:
    username = AgentFactory().user.username
    _fail_until_locked(client, username, address="203.0.113.9")

    assert _log_in(Client(), username, PASSWORD, address="198.51.100.20").status_code == 302


def test_the_client_address_comes_from_the_proxy_header_when_configured(
    client: Client, settings
) -> None:
    settings.LOGIN_CLIENT_IP_HEADER = "X-Real-IP"
    username = AgentFactory().user.username
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/login/",
            {"username": username, "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_REAL_IP="203.0.113.9",
        )

    # The same proxy, another client behind it: not locked.
    other = Client().post(
        "/login/",
        {"username": username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_REAL_IP="198.51.100.20",
    )
    assert other.status_code == 302


def test_a_login_without_a_request_still_authenticates(django_user_model) -> None:
    # The test client and management code call authenticate() without a request; only web
    # logins are throttled.
    user = AgentFactory().user
    assert Client().login(username=user.username, password=PASSWORD)
