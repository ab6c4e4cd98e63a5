"""Argon2id parameters: what a password or receipt costs to derive, and the test-only fast set.

Parameters travel with what they protect (see recipient_keys) or with the row that
used them (receipts), so they can be raised later while old data stays readable.
"""

import struct
from dataclasses import dataclass

import nacl.pwhash.argon2id as argon2id
import nacl.utils

from tipline.crypto.errors import UnsupportedFormatError

SALT_BYTES = argon2id.SALTBYTES
ALGORITHM_ARGON2ID13 = 1
_HEADER = struct.Struct(">BIQ")  # algorithm, opslimit, memlimit
HEADER_BYTES = _HEADER.size


@dataclass(frozen=True)
class KdfParams:
    opslimit: int
    memlimit: int  # bytes

    def derive(self, secret: bytes, salt: bytes, size: int = 32) -> bytes:
        return argon2id.kdf(size, bytes(secret), bytes(salt), opslimit=self.opslimit, memlimit=self.memlimit)

    def encode(self) -> bytes:
        return _HEADER.pack(ALGORITHM_ARGON2ID13, self.opslimit, self.memlimit)

    @classmethod
    def decode(cls, header: bytes) -> "KdfParams":
        algorithm, opslimit, memlimit = _HEADER.unpack(bytes(header[:HEADER_BYTES]))
        if algorithm != ALGORITHM_ARGON2ID13:
            raise UnsupportedFormatError(f"Unknown key derivation algorithm {algorithm}.")
        return cls(opslimit=opslimit, memlimit=memlimit)


@dataclass(frozen=True)
class KdfPolicy:
    """The parameters new data is written with."""

    password: KdfParams
    receipt: KdfParams


# Passwords guard a recipient's private key: slow and memory-hard (about 0.2 s here).
PASSWORD_PARAMS = KdfParams(opslimit=3, memlimit=128 * 1024 * 1024)
# Receipts already carry ~70 bits of entropy; this cost bounds submissions per core.
RECEIPT_PARAMS = KdfParams(opslimit=argon2id.OPSLIMIT_INTERACTIVE, memlimit=argon2id.MEMLIMIT_INTERACTIVE)
PRODUCTION = KdfPolicy(password=PASSWORD_PARAMS, receipt=RECEIPT_PARAMS)

# The cheapest Argon2id libsodium allows. For test suites only (TIPLINE_INSECURE_FAST_KDF).
INSECURE_FAST_PARAMS = KdfParams(opslimit=argon2id.OPSLIMIT_MIN, memlimit=argon2id.MEMLIMIT_MIN)
INSECURE_FAST = KdfPolicy(password=INSECURE_FAST_PARAMS, receipt=INSECURE_FAST_PARAMS)


def policy(insecure_fast: bool = False) -> KdfPolicy:
    return INSECURE_FAST if insecure_fast else PRODUCTION


def new_salt() -> bytes:
    return nacl.utils.random(SALT_BYTES)
