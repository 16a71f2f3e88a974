"""Who else is on a thread right now: viewing it, replying, or writing a note.

Presence is short-lived and lives in Django's cache (Redis when REDIS_URL is set, the
in-process cache otherwise), never in the database: each open thread page sends a heartbeat
every few seconds, and an agent whose heartbeats stop drops out after PRESENCE_TTL.

One cache entry per thread maps user ids to their state and its expiry. Two heartbeats racing
may drop one agent's entry for one round; their next heartbeat (3 s later) writes it back, well
inside the 5 s the page promises.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache

logger = logging.getLogger(__name__)

PRESENCE_TTL = 10  # seconds
STATES = ("viewing", "replying", "noting")


@dataclass(frozen=True)
class Present:
    user_id: int
    name: str
    state: str

    @property
    def sentence(self) -> str:
        if self.state == "replying":
            return f"{self.name} is replying"
        if self.state == "noting":
            return f"{self.name} is writing a note"
        return f"{self.name} is viewing"


def _key(workspace_id: int, thread_id: int) -> str:
    return f"presence:{workspace_id}:{thread_id}"


def current(entries: dict[int, tuple[str, str, float]], *, now: float) -> dict[int, Present]:
    """The entries that have not expired (pure: the clock is passed in)."""
    return {
        user_id: Present(user_id=user_id, name=name, state=state)
        for user_id, (state, name, expires) in entries.items()
        if expires > now
    }


def presence_beat(
    *, workspace_id: int, thread_id: int, user_id: int, name: str, state: str, now: datetime
) -> list[Present]:
    """Record the agent's heartbeat on the thread; returns the others present, by name."""
    if state not in STATES:
        state = "viewing"
    key = _key(workspace_id, thread_id)
    moment = now.timestamp()
    try:
        entries: dict[int, tuple[str, str, float]] = cache.get(key) or {}
        live = {
            other: entry
            for other, entry in entries.items()
            if entry[2] > moment and other != user_id
        }
        cache.set(key, {**live, user_id: (state, name, moment + PRESENCE_TTL)}, PRESENCE_TTL)
    except Exception:  # the cache is down: presence is a nicety, the thread page still works
        logger.warning("Presence is unavailable: the cache is unreachable", exc_info=True)
        return []
    return sorted(current(live, now=moment).values(), key=lambda present: present.name.lower())


def presence_leave(*, workspace_id: int, thread_id: int, user_id: int) -> None:
    """The agent left the thread page (best effort; the TTL covers a lost goodbye)."""
    key = _key(workspace_id, thread_id)
    try:
        entries = cache.get(key) or {}
        if entries.pop(user_id, None) is not None:
            cache.set(key, entries, PRESENCE_TTL)
    except Exception:
        logger.warning("Presence is unavailable: the cache is unreachable", exc_info=True)


def presence_stamp(others: list[Present]) -> str:
    """Changes exactly when what the page shows changes, so an unchanged poll answers 204."""
    text = "|".join(f"{present.user_id}:{present.state}" for present in others)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
