"""What this machine can do per minute, measured, and the limits on expensive work that are
shares of it: tips and receipt look-ups each cost one Argon2id, so a fixed small count
would let one client close the tip line long before the machine is busy.

The measure is CPU time of one receipt derivation (not wall time, so a busy machine does
not talk itself down), taken once an hour per cache and shared by every process.
"""

import os
import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

from tipline.base.crypto_policy import kdf_policy
from tipline.crypto import receipts

CACHE_KEY = "capacity:tips-per-minute"
MEASURE_EVERY_SECONDS = 3600
# Share of a tip's server CPU that is the receipt's Argon2id: 63 % in a profile of the page
# path (2026-12-02); benchmarks/submit.py prints the server's CPU per tip to compare.
ARGON2ID_SHARE_OF_A_TIP = 0.63
# What each kind of expensive work may take of the machine: together they leave the rest
# for staff, alerts and the pages, and one channel may use most of what tips may.
SITE_SUBMISSIONS_SHARE = 0.7
CHANNEL_SUBMISSIONS_SHARE = 0.6
RECEIPT_LOOKUPS_SHARE = 0.25


def tips_per_minute() -> int:
    """Tips the machine's cores could take in a minute, as last measured."""
    measured = cache.get(CACHE_KEY)
    if isinstance(measured, int) and measured > 0:
        return measured
    measured = measure_tips_per_minute()
    cache.set(CACHE_KEY, measured, timeout=MEASURE_EVERY_SECONDS)
    return measured


def measure_tips_per_minute() -> int:
    params = kdf_policy().receipt
    started = time.thread_time()
    params.derive(secrets.token_bytes(24), secrets.token_bytes(16), size=2 * receipts.LOOKUP_ID_BYTES)
    seconds_per_tip = max(time.thread_time() - started, 1e-6) / ARGON2ID_SHARE_OF_A_TIP
    return max(1, int((_usable_cpus() or 1) * 60 / seconds_per_tip))


def _usable_cpus() -> int | None:
    """The CPUs this process may run on: os.process_cpu_count from Python 3.13, all of them on
    3.12 (which has no such function; the project supports it)."""
    count: Callable[[], int | None] = getattr(os, "process_cpu_count", os.cpu_count)
    return count()


def submissions_per_minute() -> int:
    """The site's limit: TIPLINE_SUBMISSIONS_PER_MINUTE when set, else its share of the machine."""
    return settings.SUBMISSIONS_PER_MINUTE or _share(SITE_SUBMISSIONS_SHARE)


def submissions_per_minute_per_channel() -> int:
    return settings.SUBMISSIONS_PER_MINUTE_PER_CHANNEL or _share(CHANNEL_SUBMISSIONS_SHARE)


def receipt_lookups_per_minute() -> int:
    """For receipts whose lookup tag some tip has (nearly all of them real)."""
    return settings.KNOWN_RECEIPT_LOOKUPS_PER_MINUTE or _share(RECEIPT_LOOKUPS_SHARE)


def _share(fraction: float) -> int:
    return max(1, int(tips_per_minute() * fraction))
