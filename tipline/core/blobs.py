"""The blob store: encrypted file bytes under random names, through Django's storage API.

Names say nothing about the file (random hex); the store holds only ciphertext.
"""

import re
import secrets
import shutil
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


def open_for_writing(name: str):
    storage = _storage()
    if isinstance(storage, FileSystemStorage):
        Path(storage.location).mkdir(mode=0o700, parents=True, exist_ok=True)
    return storage.open(name, "wb")


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
    _storage().delete(name)


def exists(name: str) -> bool:
    return _storage().exists(name)
