"""The blob store: encrypted file bytes under random names, through Django's storage API.

Names say nothing about the file (random hex); the store holds only ciphertext.
"""

import secrets
from collections.abc import Iterator
from pathlib import Path

from django.core.files.storage import FileSystemStorage, storages

READ_BYTES = 1024 * 1024


def _storage():
    return storages["default"]


def new_blob_name() -> str:
    return secrets.token_hex(16)


def open_for_writing(name: str):
    storage = _storage()
    if isinstance(storage, FileSystemStorage):
        Path(storage.location).mkdir(mode=0o700, parents=True, exist_ok=True)
    return storage.open(name, "wb")


def read_chunks(name: str) -> Iterator[bytes]:
    with _storage().open(name, "rb") as blob:
        while chunk := blob.read(READ_BYTES):
            yield chunk


def delete(name: str) -> None:
    _storage().delete(name)


def exists(name: str) -> bool:
    return _storage().exists(name)
