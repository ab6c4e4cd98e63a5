"""Encryption of a tip's answers, messages and notes under its tip key.

Plaintext is padded to a size bucket first (ISO/IEC 7816-4 padding, libsodium's
sodium_pad), so the stored length tells only the bucket, not the answer's length.
The context names the tip and the item (e.g. "answers", "message", message id).
"""

import json
from typing import Any
from uuid import UUID

import nacl.bindings as sodium
import nacl.exceptions

from tipline.crypto import aead
from tipline.crypto.errors import DecryptionError

BUCKETS = (256, 1024, 4096, 16384, 65536)
LARGE_BLOCK = 65536


def padded_length(length: int) -> int:
    """The bucket a plaintext of `length` bytes is padded to (at least one byte of padding)."""
    for bucket in BUCKETS:
        if length < bucket:
            return bucket
    return (length // LARGE_BLOCK + 1) * LARGE_BLOCK


def pad(plaintext: bytes) -> bytes:
    target = padded_length(len(plaintext))
    block = target if target <= BUCKETS[-1] else LARGE_BLOCK
    return sodium.sodium_pad(bytes(plaintext), block)


def unpad(padded: bytes) -> bytes:
    block = len(padded) if len(padded) <= BUCKETS[-1] else LARGE_BLOCK
    try:
        return sodium.sodium_unpad(bytes(padded), block)
    except nacl.exceptions.CryptoError:
        raise DecryptionError("The padding is damaged.") from None


def content_context(tip_id: bytes, item: str, item_id: str | int = "", *more: str) -> bytes:
    return aead.context(tip_id, item, item_id, *more)


# Where each of a tip's ciphertexts sits. The server and tipline-reader (which seals replies
# and notes on a recipient's own computer) build the same associated data from these.


def answers_context(tip_id: bytes) -> bytes:
    return content_context(tip_id, "answers")


def message_context(tip_id: bytes, message_key: str | UUID, bound_as: str | None = None) -> bytes:
    """A message's place and, since authorship was bound (`bound_as` not None), who wrote it:
    "tipster", "recipient:<account id>", or "reader" (sealed in tipline-reader, which signs
    it). Relabelled in the database or by a server, it no longer opens."""
    if bound_as is None:
        return content_context(tip_id, "message", str(message_key))
    return content_context(tip_id, "message", str(message_key), "by", bound_as)


def note_context(tip_id: bytes, note_key: str | UUID, bound_as: str | None = None) -> bytes:
    if bound_as is None:
        return content_context(tip_id, "note", str(note_key))
    return content_context(tip_id, "note", str(note_key), "by", bound_as)


TIPSTER = "tipster"
READER = "reader"


def recipient_binding(account_id: int) -> str:
    return f"recipient:{account_id}"


def bound_account(bound_as: str | None) -> int | None:
    """The account a `recipient_binding` names; None for any other binding (or none)."""
    if not bound_as or not bound_as.startswith("recipient:"):
        return None
    return int(bound_as.removeprefix("recipient:"))


def file_meta_context(tip_id: bytes, file_id: str | UUID) -> bytes:
    return content_context(tip_id, "file-meta", str(file_id))


def title_context(tip_id: bytes) -> bytes:
    return content_context(tip_id, "title")


def encrypt_content(tip_key: bytes, plaintext: bytes, where: bytes) -> bytes:
    return aead.encrypt(tip_key, pad(plaintext), aead.Purpose.TIP_CONTENT, where)


def decrypt_content(tip_key: bytes, envelope: bytes, where: bytes) -> bytes:
    return unpad(aead.decrypt(tip_key, envelope, aead.Purpose.TIP_CONTENT, where))


def encrypt_json(tip_key: bytes, value: object, where: bytes) -> bytes:
    return encrypt_content(tip_key, json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), where)


def decrypt_json(tip_key: bytes, envelope: bytes, where: bytes) -> Any:
    return json.loads(decrypt_content(tip_key, envelope, where))
