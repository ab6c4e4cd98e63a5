"""The organisation recovery key: an X25519 pair made on an admin's own computer, whose public
half every ordinary tip's keys are also sealed to (tip_keys' sealed box, tip id inside), and
whose private half, kept offline, re-grants a tip to a recipient's new key there.

Key files hold one line: a prefix naming the half, then the key in base64. Accounts' public
keys have fingerprints here too, so an admin can compare a recipient's key before sealing.
"""

import base64
import hashlib

import nacl.bindings as sodium

from tipline.crypto import tip_keys

PUBLIC_KEY_PREFIX, PRIVATE_KEY_PREFIX = "tipline-recovery-public-key:", "tipline-recovery-private-key:"


def new_key_pair() -> tuple[str, str]:
    """(public key line, private key line) of a new recovery key pair, as written to files."""
    public, private = sodium.crypto_box_keypair()
    return (
        PUBLIC_KEY_PREFIX + base64.b64encode(public).decode(),
        PRIVATE_KEY_PREFIX + base64.b64encode(private).decode(),
    )


def read_public_key(text: str) -> bytes:
    """The 32-byte key of a public key file's line; ValueError when it is not one."""
    return _read_key(text, PUBLIC_KEY_PREFIX)


def read_private_key(text: str) -> bytes:
    return _read_key(text, PRIVATE_KEY_PREFIX)


def _read_key(text: str, prefix: str) -> bytes:
    line = text.strip()
    if not line.startswith(prefix):
        raise ValueError(f"not a line starting with {prefix}")
    key = base64.b64decode(line.removeprefix(prefix), validate=True)
    if len(key) != sodium.crypto_box_PUBLICKEYBYTES:
        raise ValueError("not 32 bytes")
    return key


def public_half(private_key: bytes) -> bytes:
    return sodium.crypto_scalarmult_base(bytes(private_key))


def fingerprint(public_key: bytes) -> str:
    """The recovery key's fingerprint: 32 hex digits in groups of four."""
    return _grouped(hashlib.blake2b(bytes(public_key), digest_size=16, person=b"tipline-recovery").hexdigest())


def account_fingerprint(public_key: bytes) -> str:
    """A recipient's account key, as their Notifications page shows it and the recovery command asks about it."""
    return _grouped(hashlib.blake2b(bytes(public_key), digest_size=16, person=b"tipline-account").hexdigest())


def reseal(sealed: bytes, tip_id: bytes, private_key: bytes, to_public_key: bytes) -> bytes:
    """A tip's keys, opened from their recovery box (DecryptionError if not sealed to this key,
    or to another tip), sealed to another public key: a recipient's, or the next recovery key."""
    keys = tip_keys.open_sealed_keys(sealed, tip_id, private_key)
    return tip_keys.seal_keys(keys, tip_id, to_public_key)


def _grouped(digest: str) -> str:
    digest = digest.upper()
    return " ".join(digest[start : start + 4] for start in range(0, len(digest), 4))
