"""Rate limits that count requests, never people: fixed one-minute (or longer) windows in
Django's cache, keyed by what is limited (a channel, the whole site, a receipt's lookup
id), never by address or browser."""

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass
class Throttled(Exception):
    retry_after_seconds: int

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_seconds / 60))


def count_against(scope: str, limit: int, window_seconds: int = 60) -> None:
    """Count one attempt in `scope`; raise Throttled once more than `limit` fall in the window."""
    now = time.time()
    window = int(now // window_seconds)
    key = f"throttle:{scope}:{window}"
    cache.add(key, 0, timeout=window_seconds * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, timeout=window_seconds * 2)
        count = 1
    if count > limit:
        raise Throttled(retry_after_seconds=int((window + 1) * window_seconds - now) + 1)


def scope_for_secret(prefix: str, secret: bytes) -> str:
    """A cache scope for a value that must not itself sit in the cache (e.g. a lookup id)."""
    return f"{prefix}:{hashlib.blake2b(secret, digest_size=12).hexdigest()}"
