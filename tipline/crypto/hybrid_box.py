"""Sealed boxes to a hybrid public key (X-Wing: ML-KEM-768 and X25519), and those key pairs
with their text form. Anyone with the public key seals; only the private key opens. Groundwork
for issue 35: nothing in Tipline is sealed with these yet.

    version || algorithm || X-Wing ciphertext (1120 bytes) || aead envelope

The envelope's key is the X-Wing shared secret through keyed BLAKE2b over the box's version,
algorithm, purpose and context; the envelope (crypto.aead, XChaCha20-Poly1305) binds the purpose
and context again in its associated data. A next algorithm takes a new algorithm byte.
"""

import hashlib
from dataclasses import dataclass

from tipline.crypto import aead, channel_keys, xwing
from tipline.crypto.encoding import b64, from_b64
from tipline.crypto.errors import DecryptionError, UnsupportedFormatError

BOX_VERSION = 1
XWING_XCHACHA20POLY1305 = 1
HEADER_BYTES = 2
OVERHEAD_BYTES = HEADER_BYTES + xwing.CIPHERTEXT_BYTES + aead.OVERHEAD_BYTES
PUBLIC_KEY_PREFIX, PRIVATE_KEY_PREFIX = "tipline-xwing-public-key:", "tipline-xwing-private-key:"
_KDF_PERSON = b"tipline-hybrid"


@dataclass(frozen=True)
class KeyPair:
    public_key: bytes  # 1216 bytes
    private_key: bytes  # the 32-byte X-Wing seed


def generate_key_pair() -> KeyPair:
    private_key = xwing.generate_private_key()
    return KeyPair(public_key=xwing.public_key_of(private_key), private_key=private_key)


def seal(public_key: bytes, plaintext: bytes, purpose: aead.Purpose, where: bytes) -> bytes:
    """Raises ValueError when `public_key` is not an X-Wing public key."""
    shared_secret, kem_ciphertext = xwing.encapsulate(public_key)
    header = bytes([BOX_VERSION, XWING_XCHACHA20POLY1305])
    key = _box_key(shared_secret, header, purpose, where)
    return header + kem_ciphertext + aead.encrypt(key, plaintext, purpose, where)


def open_sealed(private_key: bytes, box: bytes, purpose: aead.Purpose, where: bytes) -> bytes:
    """Raises UnsupportedFormatError for a version or algorithm this code does not know, and
    DecryptionError for a wrong key, or a box or context that was altered."""
    box = bytes(box)
    if len(box) < HEADER_BYTES:
        raise DecryptionError("The box is too short to be one of ours.")
    if box[0] != BOX_VERSION:
        raise UnsupportedFormatError(f"Unknown sealed box version {box[0]}.")
    if box[1] != XWING_XCHACHA20POLY1305:
        raise UnsupportedFormatError(f"Unknown sealed box algorithm {box[1]}.")
    if len(box) < OVERHEAD_BYTES:
        raise DecryptionError("The box is too short to be one of ours.")
    kem_end = HEADER_BYTES + xwing.CIPHERTEXT_BYTES
    shared_secret = xwing.decapsulate(box[HEADER_BYTES:kem_end], private_key)
    key = _box_key(shared_secret, box[:HEADER_BYTES], purpose, where)
    try:
        return aead.decrypt(key, box[kem_end:], purpose, where)
    except DecryptionError:  # also an altered version byte of the envelope: tampering, not a format
        raise DecryptionError("Wrong key, or the box or its context was altered.") from None


def _box_key(shared_secret: bytes, header: bytes, purpose: aead.Purpose, where: bytes) -> bytes:
    info = aead.context("tipline", "hybrid-box", header, purpose.value) + bytes(where)
    return hashlib.blake2b(info, key=shared_secret, digest_size=aead.KEY_BYTES, person=_KDF_PERSON).digest()


def fingerprint(public_key: bytes) -> str:
    """What two people read aloud to compare a key: the same digits as for channel keys."""
    return channel_keys.fingerprint(public_key)


def public_key_line(public_key: bytes) -> str:
    return PUBLIC_KEY_PREFIX + b64(public_key)


def private_key_line(private_key: bytes) -> str:
    return PRIVATE_KEY_PREFIX + b64(private_key)


def read_public_key(text: str) -> bytes:
    """The key of a `tipline-xwing-public-key:` line; ValueError when it is not one, or not a
    key a box can be sealed to."""
    public_key = _read_line(text, PUBLIC_KEY_PREFIX, xwing.PUBLIC_KEY_BYTES)
    xwing.check_public_key(public_key)
    return public_key


def read_private_key(text: str) -> bytes:
    """The seed of a `tipline-xwing-private-key:` line; ValueError when it is not one."""
    return _read_line(text, PRIVATE_KEY_PREFIX, xwing.PRIVATE_KEY_BYTES)


def _read_line(text: str, prefix: str, size: int) -> bytes:
    line = text.strip()
    if not line.startswith(prefix):
        raise ValueError(f"not a line starting with {prefix}")
    encoded = line.removeprefix(prefix)
    key = from_b64(encoded)
    if b64(key) != encoded.rstrip("="):  # the decoder skips characters outside the alphabet
        raise ValueError("not base64url")
    if len(key) != size:
        raise ValueError(f"not {size} bytes")
    return key
