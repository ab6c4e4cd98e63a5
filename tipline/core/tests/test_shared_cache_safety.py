"""Whoever can write the shared cache must not run code in the tip line (issue 31, finding 1):
a local user who made the cache's directory first, or planted pickled rows in it, or wrote
to the Redis every app server reads. Values are integers and bytes only, never unpickled,
and a directory Tipline did not make for itself (another owner, a wider mode, a link) is
refused."""

import os
import pickle
import pwd
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tipline.base.shared_cache import SafeRedisSerializer, SharedMemoryCache


class Boom:
    """What an attacker plants: unpickling it runs a command."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (subprocess.call, (["touch", str(self.marker)],))


def _plant(directory: Path, key: str, marker: Path) -> None:
    database = sqlite3.connect(directory / "cache.sqlite3")
    database.executescript(
        "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL NOT NULL);"
    )
    database.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", (key, pickle.dumps(Boom(marker)), 9e18))
    database.commit()
    database.close()


def test_a_pickled_row_planted_in_the_shared_cache_runs_nothing(tmp_path):
    directory, marker = tmp_path / "runtime", tmp_path / "ran"
    directory.mkdir(mode=0o700)
    cache = SharedMemoryCache(str(directory), {})
    cache.set("warm", 1)  # the cache made its table
    key = cache.make_key("throttle:receipt")
    _plant(directory, key, marker)
    assert cache.get("throttle:receipt", "missing") == "missing"
    with pytest.raises(ValueError):
        cache.incr("throttle:receipt")
    assert not marker.exists()


def test_only_integers_and_bytes_are_stored(tmp_path):
    directory = tmp_path / "runtime"
    cache = SharedMemoryCache(str(directory), {})
    cache.set("count", 3)
    cache.set("flag", True)
    cache.set("key", b"\x00\x01secret")
    assert (cache.get("count"), cache.get("flag"), cache.get("key")) == (3, 1, b"\x00\x01secret")
    assert cache.incr("count", 2) == 5
    with pytest.raises(TypeError):
        cache.set("object", {"a": 1})


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a directory owned by another user")
def test_a_directory_another_user_made_first_is_refused(tmp_path):
    nobody = pwd.getpwnam("nobody")
    directory, marker = tmp_path / "runtime", tmp_path / "ran"
    directory.mkdir(mode=0o700)
    _plant(directory, "anything", marker)
    os.chown(directory, nobody.pw_uid, nobody.pw_gid)
    with pytest.raises(ImproperlyConfigured, match="owned by another user"):
        SharedMemoryCache(str(directory), {}).get("anything")
    assert not marker.exists()


def test_a_directory_open_to_others_or_a_link_is_refused(tmp_path):
    wide = tmp_path / "wide"
    wide.mkdir()
    wide.chmod(0o777)
    with pytest.raises(ImproperlyConfigured, match="open to other users"):
        SharedMemoryCache(str(wide), {}).get("x")
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(ImproperlyConfigured, match="not a directory of its own"):
        SharedMemoryCache(str(link), {}).get("x")


def test_redis_values_are_never_unpickled():
    """What every app server reads from one Redis: a pickled value planted there is no value."""
    serializer = SafeRedisSerializer()
    assert serializer.loads(serializer.dumps(7)) == 7
    assert serializer.loads(serializer.dumps(b"secret")) == b"secret"
    marker = Path("/tmp/tipline-redis-boom-marker")
    marker.unlink(missing_ok=True)
    assert serializer.loads(pickle.dumps(Boom(marker))) is None
    assert not marker.exists()


def test_the_default_cache_directory_cannot_be_guessed_by_another_user(tmp_path):
    """Its name comes from the secret key file, which other users cannot read."""
    script = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'tipline.settings'; os.environ.pop('TIPLINE_RUNTIME_DIR', "
        "None)\n"
        "from django.conf import settings; print(settings.RUNTIME_DIR)"
    )
    environment = os.environ | {"TIPLINE_DATA_DIR": str(tmp_path / "a")}
    environment.pop("TIPLINE_RUNTIME_DIR", None)
    first = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    ).stdout.strip()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "secret_key").write_text((tmp_path / "a" / "secret_key").read_text()[::-1])
    environment["TIPLINE_DATA_DIR"] = str(tmp_path / "b")
    other = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    ).stdout.strip()
    import hashlib

    guessable = hashlib.blake2b(str(tmp_path / "a").encode(), digest_size=8, person=b"tipline-runtime").hexdigest()
    assert guessable not in first and first != other
    for made in (first, other):  # each process makes its directory as it starts
        Path(made).rmdir()


def test_tipline_check_names_a_cache_directory_that_is_not_the_services_alone(tmp_path, settings):
    from tipline.operations.checks import check_runtime_dir

    def _runtime_problems() -> list[str]:
        return [finding.msg for finding in check_runtime_dir()]

    wide = tmp_path / "wide"
    wide.mkdir()
    wide.chmod(0o777)
    settings.RUNTIME_DIR = wide
    settings.CACHES = {"default": {"BACKEND": "tipline.base.shared_cache.SharedMemoryCache", "LOCATION": str(wide)}}
    (problem,) = _runtime_problems()
    assert str(wide) in problem and "refuses it" in problem
    wide.chmod(0o700)
    assert _runtime_problems() == []


def test_a_pickle_planted_in_the_real_redis_is_no_value_to_the_tip_line(tmp_path):
    """Redis as configured by TIPLINE_CACHE_URL (the machine's own, a database of the tests' own)."""
    import redis
    from django.core.cache.backends.redis import RedisCache

    from tipline.config import cache_settings

    url = "redis://127.0.0.1:6379/6"
    configured = cache_settings(url, None)["default"]
    cache = RedisCache(
        configured["LOCATION"], {"KEY_PREFIX": configured["KEY_PREFIX"], "OPTIONS": configured["OPTIONS"]}
    )
    client = redis.Redis.from_url(url)
    client.flushdb()
    marker = tmp_path / "ran"
    client.set(cache.make_key("throttle:receipt"), pickle.dumps(Boom(marker)))
    assert (
        cache.get("throttle:receipt", "missing") is None
    )  # no value: Django hands back what the serializer made of it
    assert not marker.exists()
    cache.set("count", 1)
    assert cache.incr("count") == 2 and cache.get("count") == 2
    cache.set("key", b"hourly")
    assert cache.get("key") == b"hourly"
    client.flushdb()


def test_an_hourly_key_an_older_version_pickled_is_replaced_not_used(tmp_path):
    from django.core.cache import cache

    from tipline.core import throttle

    cache.clear()
    name = f"hourly-key:client:{int(time.time() // 3600)}"
    key = cache.make_key(name)
    directory = Path(cache._path.parent) if hasattr(cache, "_path") else None
    if directory is None:
        pytest.skip("the shared cache is not the SQLite one here")
    database = sqlite3.connect(directory / "cache.sqlite3")
    database.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", (key, pickle.dumps(b"x" * 32), 9e18))
    database.commit()
    fresh = throttle.hourly_key("client")
    assert isinstance(fresh, bytes) and len(fresh) == 32 and throttle.hourly_key("client") == fresh


COUNT_A_REQUEST = (
    "import os, json; os.environ['DJANGO_SETTINGS_MODULE'] = 'tipline.settings'\n"
    "import django; django.setup()\n"
    "from django.conf import settings; from django.core.cache import cache\n"
    "from tipline.operations.checks import check_runtime_dir\n"
    "cache.add('requests', 0, 600)\n"
    "print(json.dumps([str(settings.RUNTIME_DIR), cache.incr('requests'), [finding.msg for finding in "
    "check_runtime_dir()]]))"
)


def count_a_request(data_dir: Path) -> tuple[str, int, list]:
    """One process of the site (no TIPLINE_RUNTIME_DIR): where its cache is, the shared count."""
    environment = {
        key: value for key, value in os.environ.items() if key not in ("TIPLINE_RUNTIME_DIR", "TIPLINE_CACHE_URL")
    }
    answer = subprocess.run(
        [sys.executable, "-c", COUNT_A_REQUEST],
        env=environment | {"TIPLINE_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
    )
    assert answer.returncode == 0, answer.stderr
    return tuple(__import__("json").loads(answer.stdout))


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a directory owned by another user")
def test_a_directory_planted_under_the_derived_name_leaves_the_site_counting_in_another(tmp_path):
    import shutil

    nobody = pwd.getpwnam("nobody")
    derived = Path(count_a_request(tmp_path / "data")[0])
    shutil.rmtree(derived)  # as after a reboot: /dev/shm is empty, and someone noted the name
    derived.mkdir(mode=0o700)
    os.chown(derived, nobody.pw_uid, nobody.pw_gid)
    try:
        first, second = count_a_request(tmp_path / "data"), count_a_request(tmp_path / "data")
        assert first[0] == second[0] != str(derived) and Path(first[0]).parent == derived.parent
        assert (first[1], second[1]) == (1, 2)  # every process counts in the one cache
        assert Path(first[0]).stat().st_uid == os.getuid() and not Path(first[0]).stat().st_mode & 0o077
        (problem,) = second[2]
        assert "Another user made" in problem and first[0] in problem
    finally:
        shutil.rmtree(derived)
        shutil.rmtree(count_a_request(tmp_path / "data")[0], ignore_errors=True)
