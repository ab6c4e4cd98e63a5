"""The cache every server process on this machine shares when no Redis is configured: an
SQLite database in memory-backed storage (/dev/shm), so that rate limits count per site,
not per process, and their counters never reach a disk.

Whoever can write a cache must not run code in the tip line: values here (and in Redis,
through SafeRedisSerializer) are integers and bytes only, never pickles, and the cache's
directory is used only when this process's user owns it, it is a real directory and no one
else may enter it (Tipline makes it so; one made first by anyone else is refused).

Every write is one transaction that takes SQLite's write lock at its start, so two
processes counting at once both count. Entries expire as in any Django cache; expired rows are deleted as
new ones are added. With several machines, configure Redis (TIPLINE_CACHE_URL).
"""

import os
import sqlite3
import stat
import threading
from pathlib import Path

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.exceptions import ImproperlyConfigured

from tipline.base import clock

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL NOT NULL);"
    "CREATE INDEX IF NOT EXISTS entries_expires ON entries (expires);"
)
BUSY_TIMEOUT_MS = 2000
INTEGER, BYTES = b"i", b"b"


def encode(value) -> bytes:
    """The only values the tip line caches: counts (and flags, as 0 or 1) and random keys."""
    if isinstance(value, bool | int):
        return INTEGER + str(int(value)).encode()
    if isinstance(value, bytes):
        return BYTES + value
    raise TypeError(f"The shared cache holds integers and bytes only, not {type(value).__name__}.")


def decode(stored: bytes):
    """A stored value, or None for anything this cache did not write (never unpickled)."""
    stored = bytes(stored)
    if stored[:1] == INTEGER:
        try:
            return int(stored[1:])
        except ValueError:
            return None
    if stored[:1] == BYTES:
        return stored[1:]
    return None


class SafeRedisSerializer:
    """Django's Redis serializer without pickle: integers stay Redis integers (for INCR),
    bytes get a tag, and anything else read back is no value at all."""

    def __init__(self, protocol=None):
        pass

    def dumps(self, value):
        if type(value) is int:
            return value
        return encode(value)

    def loads(self, data):
        try:
            return int(data)
        except (ValueError, TypeError):
            return decode(data) if isinstance(data, bytes) else None


def check_private_directory(directory: Path) -> None:
    """Refuse a cache directory that another user could have made or can enter."""
    try:
        found = os.lstat(directory)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(found.st_mode):
        raise ImproperlyConfigured(
            f"The shared cache's place {directory} is not a directory of its own (a link or a file): refused. Remove "
            "it."
        )
    if found.st_uid != os.getuid():
        raise ImproperlyConfigured(
            f"The shared cache's directory {directory} is owned by another user: refused (it could run code here). "
            "Remove it."
        )
    if found.st_mode & 0o077:
        raise ImproperlyConfigured(
            f"The shared cache's directory {directory} is open to other users (mode {found.st_mode & 0o777:o}): "
            "refused. Remove it."
        )


class SharedMemoryCache(BaseCache):
    """LOCATION: a directory on a memory-backed filesystem, made 0700 if missing."""

    def __init__(self, location: str, params: dict):
        super().__init__(params)
        self._path = Path(location) / "cache.sqlite3"
        self._local = threading.local()

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        with self._connection() as database:
            database.execute("DELETE FROM entries WHERE expires <= ?", (clock.time(),))
            inserted = database.execute(
                "INSERT OR IGNORE INTO entries VALUES (?, ?, ?)", (key, encode(value), self._expiry(timeout))
            )
            return inserted.rowcount == 1

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        row = (
            self._connection()
            .execute("SELECT value FROM entries WHERE key = ? AND expires > ?", (key, clock.time()))
            .fetchone()
        )
        value = None if row is None else decode(row[0])
        return default if value is None else value

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        key = self.make_and_validate_key(key, version=version)
        with self._connection() as database:
            database.execute("DELETE FROM entries WHERE expires <= ?", (clock.time(),))
            database.execute(
                "INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", (key, encode(value), self._expiry(timeout))
            )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        with self._connection() as database:
            changed = database.execute(
                "UPDATE entries SET expires = ? WHERE key = ? AND expires > ?",
                (self._expiry(timeout), key, clock.time()),
            )
            return changed.rowcount == 1

    def incr(self, key, delta=1, version=None) -> int:
        """Atomic across processes for integers stored by this cache."""
        key = self.make_and_validate_key(key, version=version)
        with self._connection() as database:
            row = database.execute(
                "SELECT value FROM entries WHERE key = ? AND expires > ?", (key, clock.time())
            ).fetchone()
            stored = None if row is None else decode(row[0])
            if not isinstance(stored, int):
                raise ValueError(f"Key '{key}' not found")
            value = stored + delta
            database.execute("UPDATE entries SET value = ? WHERE key = ?", (encode(value), key))
            return value

    def delete(self, key, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        with self._connection() as database:
            return database.execute("DELETE FROM entries WHERE key = ?", (key,)).rowcount == 1

    def has_key(self, key, version=None) -> bool:
        return self.get(key, self, version) is not self

    def clear(self) -> None:
        with self._connection() as database:
            database.execute("DELETE FROM entries")

    def _expiry(self, timeout) -> float:
        """Django's get_backend_timeout, on the clock this cache reads (tipline.base.clock)."""
        if timeout == DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        elif timeout == 0:
            timeout = -1  # already expired, as in Django (ticket 21147)
        return float("inf") if timeout is None else clock.time() + timeout

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread and process; `with` makes a write transaction that
        takes the lock at once (BEGIN IMMEDIATE), so a read-then-write cannot interleave."""
        connection = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():
            check_private_directory(self._path.parent)
            self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            check_private_directory(self._path.parent)  # made by us, or refused (made meanwhile by someone else)
            connection = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            connection.execute("PRAGMA journal_mode = MEMORY")
            connection.executescript(SCHEMA)
            self._local.connection, self._local.pid = _Immediate(connection), os.getpid()
        return self._local.connection


class _Immediate:
    """A connection whose `with` block is one BEGIN IMMEDIATE … COMMIT transaction."""

    def __init__(self, connection: sqlite3.Connection):
        self._connection = connection

    def execute(self, *arguments) -> sqlite3.Cursor:
        return self._connection.execute(*arguments)

    def __enter__(self) -> sqlite3.Connection:
        self._connection.execute("BEGIN IMMEDIATE")
        return self._connection

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self._connection.commit()
        else:
            self._connection.rollback()
