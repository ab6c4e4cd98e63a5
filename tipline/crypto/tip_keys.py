"""Per-tip keys: one random key encrypts everything the tipster may read of a tip (answers,
conversation, files); it is sealed (X25519 sealed box) to each recipient and wrapped for the
tipster under the receipt key. A second random key, the team key, encrypts what only the
team reads (internal notes): it travels in the same sealed box as the tip key, and is never
wrapped for the tipster, so a receipt (or a server that caught the tip key when the tipster
came back) opens no note.

A sealed box carries the tip's id inside, so a sealed key moved to another tip's row is
refused on opening. Version 1 boxes (before team keys) hold the tip key alone.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import nacl.exceptions
import nacl.public

from tipline.crypto import aead
from tipline.crypto.errors import DecryptionError, UnsupportedFormatError

TIP_KEY_ONLY = 1
WITH_TEAM_KEY = 2
SEALED_FORMAT_VERSION = WITH_TEAM_KEY
TIP_ID_BYTES = 16
KEY_BYTES = 32


@dataclass(frozen=True)
class SealedKeys:
    """What a sealed box holds: the tip key, and the team key (None in a version 1 box)."""

    tip_key: bytes
    team_key: bytes | None

    @property
    def team(self) -> bytes:
        """The team key, for keys that must have one (a tip's after its first note)."""
        if self.team_key is None:
            raise ValueError("These keys hold no team key.")
        return self.team_key


def new_tip_key() -> bytes:
    return aead.new_key()


def new_team_key() -> bytes:
    return aead.new_key()


def seal_tip_key(tip_key: bytes, tip_id: bytes, recipient_public_key: bytes, team_key: bytes | None = None) -> bytes:
    """Seal for one recipient (or an offline channel's key); also how access is granted later,
    from opened keys. With a team key the box is version 2 and holds both."""
    _check_tip_id(tip_id)
    box = nacl.public.SealedBox(nacl.public.PublicKey(bytes(recipient_public_key)))
    if team_key is None:
        return box.encrypt(bytes([TIP_KEY_ONLY]) + bytes(tip_id) + bytes(tip_key))
    return box.encrypt(bytes([WITH_TEAM_KEY]) + bytes(tip_id) + bytes(tip_key) + bytes(team_key))


def seal_keys(keys: SealedKeys, tip_id: bytes, recipient_public_key: bytes) -> bytes:
    return seal_tip_key(keys.tip_key, tip_id, recipient_public_key, keys.team_key)


def seal_for_recipients(tip_key: bytes, tip_id: bytes, public_keys: Iterable[bytes]) -> dict[bytes, bytes]:
    return {bytes(public_key): seal_tip_key(tip_key, tip_id, public_key) for public_key in public_keys}


def open_sealed_keys(sealed: bytes, tip_id: bytes, private_key: bytes) -> SealedKeys:
    _check_tip_id(tip_id)
    box = nacl.public.SealedBox(nacl.public.PrivateKey(bytes(private_key)))
    try:
        opened = box.decrypt(bytes(sealed))
    except nacl.exceptions.CryptoError:
        raise DecryptionError("This tip key was not sealed to this recipient, or it was altered.") from None
    if opened[0] not in (TIP_KEY_ONLY, WITH_TEAM_KEY):
        raise UnsupportedFormatError(f"Unknown sealed tip key version {opened[0]}.")
    if opened[1 : 1 + TIP_ID_BYTES] != bytes(tip_id):
        raise DecryptionError("This sealed tip key belongs to another tip.")
    keys = opened[1 + TIP_ID_BYTES :]
    if len(keys) != KEY_BYTES * (2 if opened[0] == WITH_TEAM_KEY else 1):
        raise DecryptionError("This sealed tip key is cut short or too long.")
    return SealedKeys(tip_key=keys[:KEY_BYTES], team_key=keys[KEY_BYTES:] or None)


def open_sealed_tip_key(sealed: bytes, tip_id: bytes, private_key: bytes) -> bytes:
    return open_sealed_keys(sealed, tip_id, private_key).tip_key


def wrap_for_tipster(tip_key: bytes, receipt_wrapping_key: bytes, tip_id: bytes) -> bytes:
    return aead.encrypt(receipt_wrapping_key, tip_key, aead.Purpose.TIP_KEY_FOR_TIPSTER, aead.context(tip_id))


def unwrap_for_tipster(wrapped: bytes, receipt_wrapping_key: bytes, tip_id: bytes) -> bytes:
    return aead.decrypt(receipt_wrapping_key, wrapped, aead.Purpose.TIP_KEY_FOR_TIPSTER, aead.context(tip_id))


def _check_tip_id(tip_id: bytes) -> None:
    if len(tip_id) != TIP_ID_BYTES:
        raise ValueError(f"A tip id is {TIP_ID_BYTES} bytes (a UUID); got {len(tip_id)}.")
