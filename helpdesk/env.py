"""Small typed readers for settings that come from the environment."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping


class ImproperEnvironment(ValueError):
    """An environment variable holds a value we refuse to guess about."""


def env_str(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get(name, default).strip()


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Only true/false (any case), 1/0 and an empty value are accepted: a typo must not flip a flag."""
    raw = env_str(name, "", environ).lower()
    if raw == "":
        return default
    if raw in {"true", "1"}:
        return True
    if raw in {"false", "0"}:
        return False
    raise ImproperEnvironment(f"{name} must be true or false, not {raw!r}")


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    raw = env_str(name, "", environ)
    if not raw:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    raw = env_str(name, "", environ)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ImproperEnvironment(f"{name} must be a whole number, not {raw!r}") from error


def env_float(name: str, default: float, environ: Mapping[str, str] | None = None) -> float:
    raw = env_str(name, "", environ)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as error:
        raise ImproperEnvironment(f"{name} must be a number, not {raw!r}") from error


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def env_allowed_networks(
    environ: Mapping[str, str] | None = None,
) -> dict[str, tuple[Network, ...]]:
    """INBOUND_ALLOWED_NETWORKS_<ESP> variables as {esp: networks} (inbox.webhooks.allowlist)."""
    environ = os.environ if environ is None else environ
    found: dict[str, tuple[Network, ...]] = {}
    for name, value in environ.items():
        if not name.startswith("INBOUND_ALLOWED_NETWORKS_") or not value.strip():
            continue
        esp = name.removeprefix("INBOUND_ALLOWED_NETWORKS_").lower()
        entries = [entry for entry in re.split(r"[,\s]+", value) if entry]
        try:
            found[esp] = tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
        except ValueError as error:
            raise ImproperEnvironment(f"{name}: {error}") from error
    return found
