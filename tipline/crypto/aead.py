"""Versioned XChaCha20-Poly1305 envelopes whose associated data names what they hold.

Every ciphertext is `version || nonce || ciphertext+tag`. The associated data binds
it to a Purpose (what kind of secret) and a context (which row, field or file), so a
ciphertext copied to another row or field fails to decrypt instead of being misread.
"""

import enum

import nacl.bindings as sodium
import nacl.exceptions
import nacl.utils

from tipline.crypto.errors import DecryptionError, UnsupportedFormatError

FORMAT_VERSION = 1
KEY_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
TAG_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES
OVERHEAD_BYTES = 1 + NONCE_BYTES + TAG_BYTES


class Purpose(enum.StrEnum):
    PRIVATE_KEY_BY_PASSWORD = "private-key/password"
    PRIVATE_KEY_BY_RECOVERY_CODE = "private-key/recovery-code"
    TIP_KEY_FOR_TIPSTER = "tip-key/tipster"
    TIP_CONTENT = "tip/content"
    FILE_KEY = "file/key"
    FILE_STREAM = "file/stream"
    SESSION_MATERIAL = "session/material"
    ACCOUNT_SECRET = "account/secret"
    ISSUER_KEY = "insider/issuer-key"
    ROUTE_SECRET = "alerts/route-secret"
    BACKUP_KEY = "backup/archive-key"
    READER_VAULT = "reader/vault"
    RECEIPT_SHOWN_AGAIN = "tip/receipt-shown-again"


def context(*parts: str | bytes | int) -> bytes:
    """Encode the parts that identify a ciphertext's place, unambiguously (length-prefixed)."""
    encoded = bytearray()
    for part in parts:
        if isinstance(part, int):
            part = str(part)
        raw = part.encode() if isinstance(part, str) else bytes(part)
        encoded += len(raw).to_bytes(4, "big") + raw
    return bytes(encoded)


def associated_data(version: int, purpose: Purpose, where: bytes) -> bytes:
    return context("tipline", version, purpose.value) + where


def new_key() -> bytes:
    return nacl.utils.random(KEY_BYTES)


def encrypt(key: bytes, plaintext: bytes, purpose: Purpose, where: bytes) -> bytes:
    nonce = nacl.utils.random(NONCE_BYTES)
    sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        bytes(plaintext), associated_data(FORMAT_VERSION, purpose, where), nonce, bytes(key)
    )
    return bytes([FORMAT_VERSION]) + nonce + sealed


def decrypt(key: bytes, envelope: bytes, purpose: Purpose, where: bytes) -> bytes:
    envelope = bytes(envelope)
    if len(envelope) < OVERHEAD_BYTES:
        raise DecryptionError("The ciphertext is too short to be one of ours.")
    version = envelope[0]
    if version != FORMAT_VERSION:
        raise UnsupportedFormatError(f"Unknown envelope version {version}.")
    nonce, sealed = envelope[1 : 1 + NONCE_BYTES], envelope[1 + NONCE_BYTES :]
    try:
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            sealed, associated_data(version, purpose, where), nonce, bytes(key)
        )
    except nacl.exceptions.CryptoError:
        raise DecryptionError("Wrong key, or the data or its context was altered.") from None
