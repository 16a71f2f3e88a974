"""Fresh, unreplayed Mailgun posts (docs/reliability.md, "Mailgun signatures and replays").

Mailgun signs its timestamp and token, not the post: a signature seen once (in a log, a proxy)
could be sent again with any mail at all, and anymail checks neither the timestamp's age nor
whether the token was used. So a signed post must carry a timestamp within 15 minutes of our
clock, and each token is remembered in the cache (Redis in production) with what was posted
with it, for as long as its timestamp stays fresh. The same token with other content is
refused; the same post again (an ESP retry after a 5xx or a lost answer) goes on to the
ledger, which stores it once.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

MAX_SKEW_SECONDS = 15 * 60
# A token's timestamp stays fresh for up to MAX_SKEW_SECONDS after it; it may be seen first as
# early as MAX_SKEW_SECONDS before it.
TOKEN_MEMORY_SECONDS = 2 * MAX_SKEW_SECONDS


def timestamp_refusal(timestamp: str, *, now: float) -> str | None:
    """Why a signed timestamp (whole seconds since 1970, as Mailgun sends it) is refused, or None."""
    if not timestamp.isascii() or not timestamp.isdigit():
        return f"timestamp {timestamp[:40]!r} is not a number of seconds"
    skew = int(timestamp) - now
    if abs(skew) > MAX_SKEW_SECONDS:
        return f"timestamp is {abs(skew) / 60:.0f} minutes {'ahead' if skew > 0 else 'old'}"
    return None


def post_fingerprint(request: HttpRequest) -> str:
    """A digest of what was posted, the same for a post sent again however it is encoded."""
    digest = hashlib.sha256()
    if request.content_type == "application/json":
        digest.update(request.body)
        return digest.hexdigest()
    for name, values in sorted(request.POST.lists()):
        for value in values:
            digest.update(f"{len(name)}:{name}{len(value)}:".encode() + value.encode())
    for name, files in sorted(request.FILES.lists()):
        for upload in files:
            digest.update(f"{name}:{upload.name}:{upload.size}:".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def is_token_reused(*, esp: str, token: str, fingerprint: str) -> bool:
    """True when `token` came before with another post. Remembers it otherwise.

    cache.add is atomic, so of two posts racing with one token exactly one is first. With the
    cache unreachable the token is not checked (the timestamp and signature still are), so a
    Redis outage costs no mail (docs/reliability.md, "Faults: database, broker, worker")."""
    key = f"webhook-token:{esp}:" + hashlib.sha256(token.encode()).hexdigest()
    try:
        if cache.add(key, fingerprint, timeout=TOKEN_MEMORY_SECONDS):
            return False
        return cache.get(key) != fingerprint
    except RedisError as error:
        logger.warning("Inbound %s token not checked for replay, cache unreachable: %s", esp, error)
        return False
