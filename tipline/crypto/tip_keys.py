"""Per-tip keys: one random key encrypts everything of a tip; it is sealed (X25519
sealed box) to each recipient and wrapped for the tipster under the receipt key.

A sealed tip key carries the tip's id inside the box, so a sealed key moved to
another tip's row is refused on opening.
"""

from collections.abc import Iterable

import nacl.exceptions
import nacl.public

from tipline.crypto import aead
from tipline.crypto.errors import DecryptionError, UnsupportedFormatError

SEALED_FORMAT_VERSION = 1
TIP_ID_BYTES = 16


def new_tip_key() -> bytes:
    return aead.new_key()


def seal_tip_key(tip_key: bytes, tip_id: bytes, recipient_public_key: bytes) -> bytes:
    """Seal for one recipient; also how access is granted later, from an opened tip key."""
    _check_tip_id(tip_id)
    box = nacl.public.SealedBox(nacl.public.PublicKey(bytes(recipient_public_key)))
    return box.encrypt(bytes([SEALED_FORMAT_VERSION]) + bytes(tip_id) + bytes(tip_key))


def seal_for_recipients(tip_key: bytes, tip_id: bytes, public_keys: Iterable[bytes]) -> dict[bytes, bytes]:
    return {bytes(public_key): seal_tip_key(tip_key, tip_id, public_key) for public_key in public_keys}


def open_sealed_tip_key(sealed: bytes, tip_id: bytes, private_key: bytes) -> bytes:
    _check_tip_id(tip_id)
    box = nacl.public.SealedBox(nacl.public.PrivateKey(bytes(private_key)))
    try:
        opened = box.decrypt(bytes(sealed))
    except nacl.exceptions.CryptoError:
        raise DecryptionError("This tip key was not sealed to this recipient, or it was altered.") from None
    if opened[0] != SEALED_FORMAT_VERSION:
        raise UnsupportedFormatError(f"Unknown sealed tip key version {opened[0]}.")
    if opened[1 : 1 + TIP_ID_BYTES] != bytes(tip_id):
        raise DecryptionError("This sealed tip key belongs to another tip.")
    return opened[1 + TIP_ID_BYTES :]


def wrap_for_tipster(tip_key: bytes, receipt_wrapping_key: bytes, tip_id: bytes) -> bytes:
    return aead.encrypt(receipt_wrapping_key, tip_key, aead.Purpose.TIP_KEY_FOR_TIPSTER, aead.context(tip_id))


def unwrap_for_tipster(wrapped: bytes, receipt_wrapping_key: bytes, tip_id: bytes) -> bytes:
    return aead.decrypt(receipt_wrapping_key, wrapped, aead.Purpose.TIP_KEY_FOR_TIPSTER, aead.context(tip_id))


def _check_tip_id(tip_id: bytes) -> None:
    if len(tip_id) != TIP_ID_BYTES:
        raise ValueError(f"A tip id is {TIP_ID_BYTES} bytes (a UUID); got {len(tip_id)}.")
