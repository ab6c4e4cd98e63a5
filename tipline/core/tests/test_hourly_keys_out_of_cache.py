"""The hourly keys that name per-client buckets and resend memories never sit in the shared
cache (issue 31, finding 11): whoever can read the cache during the hour must not be able to
recompute a bucket from a guessed address (65,536 addresses took 0.24 s when the key was
there to read)."""

import hashlib
import sqlite3
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import RequestFactory, override_settings

from tipline.core import throttle
from tipline.web.client_buckets import client_bucket


def _cached_values() -> list[bytes]:
    """Everything a reader of the shared cache sees (its SQLite file, as a local user would)."""
    path = getattr(cache, "_path", None)
    if path is None:
        pytest.skip("the shared cache is not the SQLite one here")
    database = sqlite3.connect(Path(path))
    try:
        return [bytes(value) for (value,) in database.execute("SELECT value FROM entries")]
    finally:
        database.close()


def _cached_names() -> list[str]:
    database = sqlite3.connect(Path(cache._path))
    try:
        return [name for (name,) in database.execute("SELECT key FROM entries")]
    finally:
        database.close()


@override_settings(CLIENT_ADDRESS_HEADER="X-Real-IP", PER_CLIENT_PER_MINUTE=100)
def test_a_reader_of_the_cache_cannot_recompute_a_clients_bucket():
    cache.clear()
    address = "203.0.113.77"
    request = RequestFactory().post("/", HTTP_X_REAL_IP=address)
    throttle.count_for_client(client_bucket(request), "submit")

    candidate_keys = [value[1:] for value in _cached_values() if len(value) == 33]
    buckets_a_reader_can_name = {
        hashlib.blake2b(address.encode(), key=key, digest_size=12).hexdigest() for key in candidate_keys
    }
    names = " ".join(_cached_names())
    assert any(":client:submit:" in name for name in _cached_names()), "the client was counted"
    assert not any(bucket in names for bucket in buckets_a_reader_can_name)


def test_no_hourly_key_is_stored_in_the_cache():
    cache.clear()
    keys = {throttle.hourly_key("client"), throttle.hourly_key("resend"), *throttle.hourly_keys("client")}
    assert not any(value[1:] in keys for value in _cached_values())


def test_hourly_keys_change_each_hour_and_with_the_secret_key():
    this_hour, last_hour = throttle.hourly_keys("client")
    assert this_hour != last_hour and len(this_hour) == 32
    assert throttle.hourly_key("client") == this_hour, "every process of the site computes the same key"
    assert throttle.hourly_key("resend") != this_hour
    with override_settings(SECRET_KEY="another site's secret key, long enough to be a key" * 2):
        assert throttle.hourly_key("client") != this_hour
