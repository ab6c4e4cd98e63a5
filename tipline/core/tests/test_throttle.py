"""Rate limits count per site: every server process on the machine sees the same counts
(the shared in-memory cache when no Redis is configured)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

COUNT_IN_A_PROCESS = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "tipline.settings"
django.setup()
from tipline.core import throttle
allowed = 0
for _ in range(8):
    try:
        throttle.count_against("shared-by-processes", 10, 3600)
        allowed += 1
    except throttle.Throttled:
        pass
print(allowed)
"""


def test_two_server_processes_share_one_limit():
    cache.clear()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", COUNT_IN_A_PROCESS], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
        )
        for _ in range(2)
    ]

    allowed = [int(process.communicate(timeout=60)[0].strip().splitlines()[-1]) for process in processes]

    assert sum(allowed) == 10  # per process, 16 would have passed


def test_the_shared_cache_lives_in_memory_backed_storage_only():
    assert settings.CACHES["default"]["BACKEND"] == "tipline.base.shared_cache.SharedMemoryCache"
    cache.set("probe", 1)
    assert str(settings.RUNTIME_DIR).startswith("/dev/shm/")
    assert not str(settings.RUNTIME_DIR).startswith(str(settings.DATA_DIR))


def test_entries_expire_count_and_clear(clock):
    cache.clear()

    assert cache.add("counter", 0, timeout=1) and not cache.add("counter", 5)
    assert cache.incr("counter") == 1 and cache.incr("counter", 2) == 3
    cache.set("kept", b"an hourly key")  # integers and bytes only: nothing stored here is ever unpickled
    clock.advance(1.1)

    assert cache.get("counter") is None and cache.add("counter", 7)
    with pytest.raises(ValueError):
        cache.incr("missing")
    assert cache.get("kept") == b"an hourly key" and cache.delete("kept") and not cache.has_key("kept")
    cache.clear()
    assert cache.get("counter") is None


def test_expired_counters_do_not_pile_up(clock):
    import sqlite3

    cache.clear()
    for window in range(50):
        cache.add(f"throttle:old:{window}", 0, timeout=1)
    clock.advance(1.1)

    cache.add("throttle:now", 0)

    rows = (
        sqlite3.connect(Path(settings.RUNTIME_DIR) / "cache.sqlite3")
        .execute("SELECT COUNT(*) FROM entries")
        .fetchone()[0]
    )
    assert rows == 1


def test_a_holder_past_its_first_uses_gets_only_the_lowest_quarter_and_refusals_cost_nothing():
    from tipline.core import throttle

    pool = f"fair-pool-{time.time_ns()}"

    def use(holder: str) -> bool:
        try:
            throttle.spend_fairly(pool, 8, holder_scope=f"{pool}:{holder}")
            return True
        except throttle.Throttled:
            return False

    greedy = [use("greedy") for _ in range(5)]  # 2 first uses, then the lowest quarter (2) is full
    others = [use(f"tipster-{number}") for number in range(6)]

    assert greedy == [True, True, False, False, False]
    assert others == [True] * 6 and not use("tipster-last")  # the 8 of the minute, none lost to refusals
