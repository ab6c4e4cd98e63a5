"""Rate limits: fixed one-minute (or longer) windows in Django's cache (shared by the
site's processes), keyed by what is limited (a channel, the whole site, a receipt's lookup
id). Where the proxy passes the client's address (TIPLINE_CLIENT_ADDRESS_HEADER), each
client also has a short bucket per action, named by a keyed hash of the address under a
random key that lives only in the cache and changes every hour: no address is kept, and
an hour later no bucket can be linked to one."""

import hashlib
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
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


def count_for_client(request, action: str) -> None:
    """Count one `action` (e.g. "submit") by the request's client against PER_CLIENT_PER_MINUTE;
    nothing is counted when the client's address is not known (no header configured, or Tor)."""
    bucket = _client_bucket(request)
    if bucket is not None:
        count_against(f"client:{action}:{bucket}", settings.PER_CLIENT_PER_MINUTE)


def _client_bucket(request) -> str | None:
    header = settings.CLIENT_ADDRESS_HEADER
    if not header:
        return None
    address = request.META.get("HTTP_" + header.upper().replace("-", "_"), "").split(",")[0].strip()
    if not address:
        return None
    return hashlib.blake2b(address.encode(), key=hourly_key("client"), digest_size=12).hexdigest()


def hourly_key(purpose: str, hours_ago: int = 0) -> bytes:
    """The random key for `purpose` of this hour (or of an earlier one), kept only in the
    shared cache (memory or Redis): hashes made under it cannot be recomputed once it is gone."""
    name = f"hourly-key:{purpose}:{int(time.time() // 3600) - hours_ago}"
    cache.add(name, secrets.token_bytes(32), timeout=3 * 3600)
    key = cache.get(name)
    if not isinstance(key, bytes) or len(key) != 32:  # something this version did not write (an older pickle): replaced
        cache.set(name, secrets.token_bytes(32), timeout=3 * 3600)
        key = cache.get(name)
    return key


def hourly_keys(purpose: str) -> tuple[bytes, bytes]:
    """This hour's and the last hour's key: what was remembered late last hour still counts."""
    return hourly_key(purpose), hourly_key(purpose, hours_ago=1)
