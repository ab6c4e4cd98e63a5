"""Rate limits: fixed one-minute (or longer) windows in Django's cache (shared by the
site's processes), keyed by what is limited (a channel, the whole site, a receipt's lookup
id). Where the proxy passes the client's address (TIPLINE_CLIENT_ADDRESS_HEADER), each
client also has a short bucket per action, named by a keyed hash of the address under a
key that changes every hour. That key is derived from the secret key file and the hour and
never written to the cache, so reading the cache (a local user, a Redis dump) names no
address; buckets last a minute, so an hour later there is nothing left to link to one."""

import hashlib
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from tipline.base import clock
from tipline.base.site_keys import site_key


@dataclass
class Throttled(Exception):
    retry_after_seconds: int

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_seconds / 60))


def count_against(scope: str, limit: int, window_seconds: int = 60) -> int:
    """Count one attempt in `scope`; raise Throttled once more than `limit` fall in the window.
    Returns how many the window holds with this one."""
    now = clock.time()
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
    return count


# A holder (one tip's receipt) whose first PRIORITY_USES_PER_HOUR uses of a pool this hour
# are behind it may use only the lowest quarter of the pool's minute: the rest is kept for
# holders that have used little, so holding many receipts buys no one a lock-out.
PRIORITY_USES_PER_HOUR = 2
LATER_USES_SHARE = 0.25


def spend_fairly(pool_scope: str, limit: int, holder_scope: str, window_seconds: int = 60) -> None:
    """Count one use by a holder (e.g. a tip) in a shared pool of `limit` a window: the holder's
    first PRIORITY_USES_PER_HOUR uses this hour may take the whole pool, later ones only its
    lowest quarter. What is refused uses up nothing of the pool (Throttled)."""
    hour = int(clock.time() // 3600)
    used_before = cache.get(f"throttle:holder:{holder_scope}:{hour}") or 0
    share = limit if used_before < PRIORITY_USES_PER_HOUR else max(1, int(limit * LATER_USES_SHARE))
    spend_against(pool_scope, 1, share, window_seconds)
    count_against(f"holder:{holder_scope}", limit=2**62, window_seconds=3600)  # a refusal cost the holder no priority


def spend_against(scope: str, amount: int, limit: int, window_seconds: int) -> None:
    """Spend `amount` (bytes, say) of the window's `limit` in `scope`; raise Throttled, and
    give the amount back, when it does not fit: what was refused uses up nothing."""
    now = clock.time()
    window = int(now // window_seconds)
    key = f"throttle:{scope}:{window}"
    cache.add(key, 0, timeout=window_seconds * 2)
    try:
        spent = cache.incr(key, amount)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 0, timeout=window_seconds * 2)
        spent = cache.incr(key, amount)
    if spent > limit:
        cache.decr(key, amount)
        raise Throttled(retry_after_seconds=int((window + 1) * window_seconds - now) + 1)


def scope_for_secret(prefix: str, secret: bytes) -> str:
    """A cache scope for a value that must not itself sit in the cache (e.g. a lookup id)."""
    return f"{prefix}:{hashlib.blake2b(secret, digest_size=12).hexdigest()}"


def count_for_client(client: str | None, action: str) -> None:
    """Count one `action` (e.g. "submit") by a client (tipline.web.client_buckets) against
    PER_CLIENT_PER_MINUTE; nothing is counted when its address is not known (None: no header
    configured, or Tor)."""
    if client is not None:
        count_against(f"client:{action}:{client}", settings.PER_CLIENT_PER_MINUTE)


def hourly_key(purpose: str, hours_ago: int = 0) -> bytes:
    """The key for `purpose` (at most 16 bytes) of this hour, or of an earlier one: the same in
    every process of the site, computed from the secret key and never stored anywhere."""
    hour = int(clock.time() // 3600) - hours_ago
    return hashlib.blake2b(
        str(hour).encode(), key=site_key(b"tipline-hourly"), digest_size=32, person=purpose.encode()
    ).digest()


def hourly_keys(purpose: str) -> tuple[bytes, bytes]:
    """This hour's and the last hour's key: what was remembered late last hour still counts."""
    return hourly_key(purpose), hourly_key(purpose, hours_ago=1)


def refuse_if_over(scope: str, limit: int, window_seconds: int = 60) -> None:
    """Raise Throttled when `scope` is already over `limit` in this window, counting nothing."""
    now = clock.time()
    window = int(now // window_seconds)
    if (cache.get(f"throttle:{scope}:{window}") or 0) > limit:
        raise Throttled(retry_after_seconds=int((window + 1) * window_seconds - now) + 1)
