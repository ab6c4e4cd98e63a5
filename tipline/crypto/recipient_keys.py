"""Recipient key pairs (X25519) and the two ways the private key is kept: under a
password (Argon2id, per-user salt, parameters stored alongside) and under a recovery
code shown once at activation.

Wrapped private key layout: `kind || kdf header || salt || aead envelope`, where
kind says which secret opens it. `context` ties the wrap to its owner (the user id).
"""

import base64
import hashlib
import secrets
from dataclasses import dataclass

import nacl.public

from tipline.crypto import aead
from tipline.crypto.errors import (
    DecryptionError,
    RecoveryCodeFormatError,
    UnsupportedFormatError,
    WrongPasswordError,
)
from tipline.crypto.kdf import HEADER_BYTES, SALT_BYTES, KdfParams, new_salt

KIND_PASSWORD = 1
KIND_RECOVERY_CODE = 2
RECOVERY_CODE_BYTES = 20  # 160 bits, 32 base32 characters
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", CROCKFORD)
_FROM_CROCKFORD = str.maketrans(CROCKFORD + "ILO", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" + "BBA")


@dataclass(frozen=True)
class KeyPair:
    public_key: bytes
    private_key: bytes


def generate_key_pair() -> KeyPair:
    private = nacl.public.PrivateKey.generate()
    return KeyPair(public_key=bytes(private.public_key), private_key=bytes(private))


def public_key_of(private_key: bytes) -> bytes:
    return bytes(nacl.public.PrivateKey(bytes(private_key)).public_key)


def wrap_with_password(private_key: bytes, password: str, params: KdfParams, owner: bytes) -> bytes:
    salt = new_salt()
    kek = params.derive(password.encode(), salt)
    envelope = aead.encrypt(kek, private_key, aead.Purpose.PRIVATE_KEY_BY_PASSWORD, owner)
    return bytes([KIND_PASSWORD]) + params.encode() + salt + envelope


def unwrap_with_password(wrapped: bytes, password: str, owner: bytes) -> bytes:
    params, salt, envelope = _split(wrapped, KIND_PASSWORD)
    kek = params.derive(password.encode(), salt)
    try:
        return aead.decrypt(kek, envelope, aead.Purpose.PRIVATE_KEY_BY_PASSWORD, owner)
    except DecryptionError:
        raise WrongPasswordError("The password does not open this key.") from None


def rewrap_with_new_password(
    wrapped: bytes, old_password: str, new_password: str, params: KdfParams, owner: bytes
) -> bytes:
    """Password change (or a parameter upgrade at login, with old == new password)."""
    return wrap_with_password(unwrap_with_password(wrapped, old_password, owner), new_password, params, owner)


def wrapped_with_params(wrapped: bytes) -> KdfParams:
    """The Argon2id parameters a password wrap was made with (to decide on an upgrade)."""
    params, _salt, _envelope = _split(wrapped, KIND_PASSWORD)
    return params


def new_recovery_code() -> str:
    """160 random bits as 8 groups of 4 Crockford base32 characters (no I, L, O, U)."""
    encoded = base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode().translate(_TO_CROCKFORD)
    return "-".join(encoded[start : start + 4] for start in range(0, len(encoded), 4))


def wrap_with_recovery_code(private_key: bytes, recovery_code: str, owner: bytes) -> bytes:
    envelope = aead.encrypt(_recovery_kek(recovery_code), private_key, aead.Purpose.PRIVATE_KEY_BY_RECOVERY_CODE, owner)
    return bytes([KIND_RECOVERY_CODE]) + envelope


def unwrap_with_recovery_code(wrapped: bytes, recovery_code: str, owner: bytes) -> bytes:
    wrapped = bytes(wrapped)
    if not wrapped or wrapped[0] != KIND_RECOVERY_CODE:
        raise UnsupportedFormatError("This is not a key wrapped under a recovery code.")
    try:
        return aead.decrypt(_recovery_kek(recovery_code), wrapped[1:], aead.Purpose.PRIVATE_KEY_BY_RECOVERY_CODE, owner)
    except DecryptionError:
        raise WrongPasswordError("The recovery code does not open this key.") from None


def _recovery_kek(recovery_code: str) -> bytes:
    # The code is 160 random bits: a plain keyed hash suffices, no slow KDF is needed.
    cleaned = "".join(character for character in recovery_code.upper() if character.isalnum())
    try:
        raw = base64.b32decode(cleaned.translate(_FROM_CROCKFORD))
    except ValueError:
        raise RecoveryCodeFormatError("A recovery code has 32 letters and digits in groups of four.") from None
    if len(raw) != RECOVERY_CODE_BYTES:
        raise RecoveryCodeFormatError("A recovery code has 32 letters and digits in groups of four.")
    return hashlib.blake2b(raw, digest_size=aead.KEY_BYTES, person=b"tipline-recovery").digest()


def _split(wrapped: bytes, expected_kind: int) -> tuple[KdfParams, bytes, bytes]:
    wrapped = bytes(wrapped)
    if not wrapped or wrapped[0] != expected_kind:
        raise UnsupportedFormatError("This is not a key wrapped under a password.")
    header_end = 1 + HEADER_BYTES
    params = KdfParams.decode(wrapped[1:header_end])
    return params, wrapped[header_end : header_end + SALT_BYTES], wrapped[header_end + SALT_BYTES :]
