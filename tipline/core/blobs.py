"""The blob store: encrypted file bytes under random names, through Django's storage API.

Names say nothing about the file (random hex); the store holds only ciphertext. On a
filesystem, a blob's and the directory's modification and access times are set to the
hour when it is written or deleted, so they do not tell the minute a tipster sent a file
(the inode's change time is the kernel's and cannot be set; see docs/operations.md).
"""

import contextlib
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages

READ_BYTES = 1024 * 1024
BLOB_NAME = re.compile(r"[0-9a-f]{32}")


def _storage():
    return storages["default"]


def new_blob_name() -> str:
    return secrets.token_hex(16)


def open_for_writing(name: str) -> "BlobWriter":
    storage = _storage()
    if isinstance(storage, FileSystemStorage):
        Path(storage.location).mkdir(mode=0o700, parents=True, exist_ok=True)
    return BlobWriter(storage, name)


class BlobWriter:
    """A blob being written: `write`, then `close` (or use it as a context manager)."""

    def __init__(self, storage, name: str):
        self._storage, self._name = storage, name
        self._file = storage.open(name, "wb")

    def write(self, data: bytes) -> int:
        return self._file.write(data)

    def close(self) -> None:
        self._file.close()
        _times_to_the_hour(self._storage, self._name)

    def __enter__(self) -> "BlobWriter":
        return self

    def __exit__(self, *exception) -> None:
        self.close()


def has_room() -> bool:
    """False when the disk under a filesystem store has less than MIN_FREE_DISK_BYTES free,
    kept for the database, text-only tips and the system. Object stores are not measured."""
    storage = _storage()
    if not isinstance(storage, FileSystemStorage):
        return True
    location = Path(storage.location)
    while not location.exists():
        location = location.parent
    return shutil.disk_usage(location).free >= settings.MIN_FREE_DISK_BYTES


def unreferenced_older_than(referenced: set[str], cutoff: datetime) -> Iterator[str]:
    """Blob names in the store that are not in `referenced` and were last written before `cutoff`."""
    storage = _storage()
    try:
        _, names = storage.listdir("")
    except FileNotFoundError:
        return
    for name in names:
        if BLOB_NAME.fullmatch(name) and name not in referenced and storage.get_modified_time(name) < cutoff:
            yield name


def read_chunks(name: str) -> Iterator[bytes]:
    with _storage().open(name, "rb") as blob:
        while chunk := blob.read(READ_BYTES):
            yield chunk


def delete(name: str) -> None:
    storage = _storage()
    storage.delete(name)
    _times_to_the_hour(storage, None)


def _times_to_the_hour(storage, name: str | None) -> None:
    if not isinstance(storage, FileSystemStorage):
        return
    hour = time.time() // 3600 * 3600
    paths = [Path(storage.location)] + ([Path(storage.path(name))] if name else [])
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.utime(path, (hour, hour))


def exists(name: str) -> bool:
    return _storage().exists(name)
