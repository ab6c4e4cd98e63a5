"""The cache every server process on this machine shares when no Redis is configured: an
SQLite database in memory-backed storage (/dev/shm), so that rate limits count per site,
not per process, and their counters never reach a disk.

Every write is one transaction that takes SQLite's write lock at its start, so two
processes counting at once both count. Entries expire as in any Django cache; expired rows are deleted as
new ones are added. With several machines, configure Redis (TIPLINE_CACHE_URL).
"""

import os
import pickle
import sqlite3
import threading
import time
from pathlib import Path

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL NOT NULL);"
    "CREATE INDEX IF NOT EXISTS entries_expires ON entries (expires);"
)
BUSY_TIMEOUT_MS = 2000


class SharedMemoryCache(BaseCache):
    """LOCATION: a directory on a memory-backed filesystem, made 0700 if missing."""

    def __init__(self, location: str, params: dict):
        super().__init__(params)
        self._path = Path(location) / "cache.sqlite3"
        self._local = threading.local()

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        with self._connection() as database:
            database.execute("DELETE FROM entries WHERE expires <= ?", (time.time(),))
            inserted = database.execute(
                "INSERT OR IGNORE INTO entries VALUES (?, ?, ?)", (key, pickle.dumps(value), self._expiry(timeout))
            )
            return inserted.rowcount == 1

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        row = self._connection().execute("SELECT value FROM entries WHERE key = ? AND expires > ?", (key, time.time())).fetchone()
        return default if row is None else pickle.loads(row[0])

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        key = self.make_and_validate_key(key, version=version)
        with self._connection() as database:
            database.execute("DELETE FROM entries WHERE expires <= ?", (time.time(),))
            database.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", (key, pickle.dumps(value), self._expiry(timeout)))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        with self._connection() as database:
            changed = database.execute(
                "UPDATE entries SET expires = ? WHERE key = ? AND expires > ?", (self._expiry(timeout), key, time.time())
            )
            return changed.rowcount == 1

    def incr(self, key, delta=1, version=None) -> int:
        """Atomic across processes for integers stored by this cache (pickled ints)."""
        key = self.make_and_validate_key(key, version=version)
        with self._connection() as database:
            row = database.execute("SELECT value FROM entries WHERE key = ? AND expires > ?", (key, time.time())).fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(row[0]) + delta
            database.execute("UPDATE entries SET value = ? WHERE key = ?", (pickle.dumps(value), key))
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
        expires = self.get_backend_timeout(timeout)  # an absolute time, or None for never
        return float("inf") if expires is None else expires

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread and process; `with` makes a write transaction that
        takes the lock at once (BEGIN IMMEDIATE), so a read-then-write cannot interleave."""
        connection = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():
            self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
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
