from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpdesk.env import ImproperEnvironment, env_bool, env_list
from tests.conftest import REPO_ROOT


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("False", False), ("1", True), ("0", False), ("", None)]
)
def test_env_bool_accepts_only_clear_values(raw: str, expected: bool | None) -> None:
    default = object()
    value = env_bool("X", default=default, environ={"X": raw})  # type: ignore[arg-type]
    assert value is (default if expected is None else expected)


def test_env_bool_refuses_a_typo() -> None:
    with pytest.raises(ImproperEnvironment, match="true or false"):
        env_bool("DEBUG", default=False, environ={"DEBUG": "ture"})


def test_env_list_splits_on_commas() -> None:
    assert env_list("H", [], environ={"H": "a.com, b.com,"}) == ["a.com", "b.com"]


def _import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "TESTING"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; django.setup(); print(settings.DEBUG)",
        ],
        cwd=REPO_ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _import_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_development_runs_with_the_default_key() -> None:
    result = _import_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_production_starts_with_a_real_secret_key() -> None:
    result = _import_settings(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"), [("", "None"), ("true", "('HTTP_X_FORWARDED_PROTO', 'https')")]
)
def test_the_forwarded_proto_header_is_trusted_only_when_asked(raw: str, expected: str) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "TESTING"}}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; django.setup(); "
            "print(settings.SECURE_PROXY_SSL_HEADER)",
        ],
        cwd=REPO_ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DEBUG": "true",
            "TRUST_X_FORWARDED_PROTO": raw,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def _database_options(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "TESTING"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; django.setup(); "
            "print(sorted(settings.DATABASES['default'].get('OPTIONS', {}).items()))",
        ],
        cwd=REPO_ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DEBUG": "true",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/never_connected",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "[('prepare_threshold', 5), ('server_side_binding', True)]"),
        (
            {"DATABASE_PLAN_CACHE_MODE": "force_custom_plan"},
            "[('options', '-c plan_cache_mode=force_custom_plan'), ('prepare_threshold', 5), "
            "('server_side_binding', True)]",
        ),
        ({"DATABASE_PREPARED_STATEMENTS": "false"}, "[]"),
    ],
)
def test_postgresql_prepares_statements_unless_told_not_to(env, expected) -> None:
    result = _database_options(**env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_an_unknown_plan_cache_mode_is_refused() -> None:
    result = _database_options(DATABASE_PLAN_CACHE_MODE="sometimes")
    assert result.returncode != 0
    assert "DATABASE_PLAN_CACHE_MODE must be" in result.stderr


def test_web_processes_plan_each_query_for_its_parameters() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, helpdesk.wsgi; print(os.environ['DATABASE_PLAN_CACHE_MODE'])",
        ],
        cwd=REPO_ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_PLAN_CACHE_MODE"},
            "DEBUG": "true",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "force_custom_plan"
