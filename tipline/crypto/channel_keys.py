"""Offline-key channels: the key pair tipline-reader makes on a recipient's own device, the
proof that a reader holds its private half, the sealed hand-over of channel keys to a second
reader, and the reader's local vault (its keys and token under a passphrase, Argon2id).

The server only ever sees public keys here; every function that takes a private key runs
in tipline-reader.
"""

import hashlib
import json
from typing import Any

import nacl.exceptions
import nacl.public

from tipline.crypto import aead
from tipline.crypto.errors import DecryptionError, UnsupportedFormatError, WrongPasswordError
from tipline.crypto.kdf import HEADER_BYTES, SALT_BYTES, KdfParams, new_salt

VAULT_FORMAT = 1
TRANSFER_FORMAT = 1
# A vault guards channel keys on a person's own computer: slower than a sign-in (about 0.4 s here).
VAULT_PARAMS = KdfParams(opslimit=3, memlimit=256 * 1024 * 1024)


def fingerprint(public_key: bytes) -> str:
    """What two people read aloud to compare a key: 32 hex digits in groups of four."""
    digest = hashlib.blake2b(bytes(public_key), digest_size=16, person=b"tipline-chankey").hexdigest().upper()
    return " ".join(digest[start : start + 4] for start in range(0, len(digest), 4))


def seal_to(public_key: bytes, secret: bytes) -> bytes:
    """A secret only the holder of the private half can read (a proof challenge, a key hand-over)."""
    return nacl.public.SealedBox(nacl.public.PublicKey(bytes(public_key))).encrypt(bytes(secret))


def open_sealed(private_key: bytes, sealed: bytes) -> bytes:
    try:
        return nacl.public.SealedBox(nacl.public.PrivateKey(bytes(private_key))).decrypt(bytes(sealed))
    except nacl.exceptions.CryptoError:
        raise DecryptionError("This was not sealed to this key, or it was altered.") from None


ITEM_PROOF_LABEL = b"tipline-reader-item-proof/1"


def item_proof_digest(tip_id: bytes, item_key: str, ciphertext: bytes) -> bytes:
    return hashlib.sha256(
        ITEM_PROOF_LABEL + bytes(tip_id) + str(item_key).encode() + hashlib.sha256(bytes(ciphertext)).digest()
    ).digest()


def prove_item(
    channel_private_key: bytes, server_proof_key: bytes, tip_id: bytes, item_key: str, ciphertext: bytes
) -> bytes:
    """What shows the server that whoever sent a reply or note holds the channel's private
    key: the item's digest in a crypto_box from the channel key to the server's proof key,
    which only the two key holders can make. Needs no round trip, so an air-gapped reader
    makes it too."""
    box = nacl.public.Box(
        nacl.public.PrivateKey(bytes(channel_private_key)), nacl.public.PublicKey(bytes(server_proof_key))
    )
    return box.encrypt(item_proof_digest(tip_id, item_key, ciphertext))


def proves_item(
    server_private_key: bytes, channel_public_key: bytes, proof: bytes, tip_id: bytes, item_key: str, ciphertext: bytes
) -> bool:
    box = nacl.public.Box(
        nacl.public.PrivateKey(bytes(server_private_key)), nacl.public.PublicKey(bytes(channel_public_key))
    )
    try:
        return box.decrypt(bytes(proof)) == item_proof_digest(tip_id, item_key, ciphertext)
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        return False


def seal_transfer(keys: list[dict[str, Any]] | dict[str, Any], recipient_transfer_key: bytes) -> bytes:
    """Channel keys (id, public and private halves, base64) for a second reader, with the
    signing keys the sharer trusts ({"keys": …, "roster": …}; a bare list from older readers),
    sealed to the one-off key that reader made for the purpose."""
    return bytes([TRANSFER_FORMAT]) + seal_to(recipient_transfer_key, json.dumps(keys).encode())


def open_transfer(sealed: bytes, transfer_private_key: bytes) -> list[dict[str, Any]] | dict[str, Any]:
    sealed = bytes(sealed)
    if not sealed or sealed[0] != TRANSFER_FORMAT:
        raise UnsupportedFormatError("This is not a channel key hand-over.")
    keys: list[dict[str, Any]] | dict[str, Any] = json.loads(open_sealed(transfer_private_key, sealed[1:]))
    return keys


def seal_vault(contents: dict[str, Any], passphrase: str, params: KdfParams = VAULT_PARAMS) -> bytes:
    """The reader's secrets as one envelope: `version || kdf header || salt || aead`."""
    salt = new_salt()
    envelope = aead.encrypt(
        params.derive(passphrase.encode(), salt), json.dumps(contents).encode(), aead.Purpose.READER_VAULT, b"vault"
    )
    return bytes([VAULT_FORMAT]) + params.encode() + salt + envelope


def open_vault(sealed: bytes, passphrase: str) -> dict[str, Any]:
    sealed = bytes(sealed)
    if not sealed or sealed[0] != VAULT_FORMAT:
        raise UnsupportedFormatError("This is not a tipline-reader vault.")
    params = KdfParams.decode(sealed[1 : 1 + HEADER_BYTES])
    salt = sealed[1 + HEADER_BYTES : 1 + HEADER_BYTES + SALT_BYTES]
    try:
        contents: dict[str, Any] = json.loads(
            aead.decrypt(
                params.derive(passphrase.encode(), salt),
                sealed[1 + HEADER_BYTES + SALT_BYTES :],
                aead.Purpose.READER_VAULT,
                b"vault",
            )
        )
        return contents
    except DecryptionError:
        raise WrongPasswordError("The passphrase does not open this vault.") from None
