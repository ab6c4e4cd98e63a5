"""Authorship a server cannot forge, for what tipline-reader writes: each reader holds an
Ed25519 signing key; it signs every reply and note it seals (tip, kind, item key, purpose, the
ciphertext's digest, and the items of the tip it had seen), and vouches for a colleague's
signing key when it hands them the channel key. A reader trusts its own key, the keys handed
over with the channel key, and any key vouched for by a key it trusts; everything else it
shows as "unverified, as the server says".

Every statement starts with its own label, so a signature over one kind of statement is never
valid as another.
"""

import hashlib
import json

import nacl.exceptions
import nacl.signing

from tipline.crypto import aead
from tipline.crypto.encoding import b64

ITEM_LABEL = b"tipline-reader-item/1"
VOUCH_LABEL = b"tipline-reader-vouch/1"
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64
MAX_SEEN = 2000


def new_signing_key() -> tuple[bytes, bytes]:
    """(public, private) halves of a new Ed25519 key."""
    key = nacl.signing.SigningKey.generate()
    return bytes(key.verify_key), bytes(key)


def fingerprint(public_key: bytes) -> str:
    digest = hashlib.blake2b(bytes(public_key), digest_size=16, person=b"tipline-signkey").hexdigest().upper()
    return " ".join(digest[start : start + 4] for start in range(0, len(digest), 4))


def item_statement(tip_id: bytes, kind: str, item_key: str, purpose: str, ciphertext: bytes, seen: list[str]) -> bytes:
    digest = hashlib.sha256(bytes(ciphertext)).digest()
    return ITEM_LABEL + aead.context(tip_id, kind, str(item_key), purpose, digest, json.dumps(sorted(seen)))


def vouch_statement(channel: str, name: str, public_key: bytes) -> bytes:
    return VOUCH_LABEL + aead.context(channel, name, bytes(public_key))


# A vouch has no tip: its proof that the sender holds the channel key (channel_keys.prove_item)
# is made over these in place of a tip's id and an item's key.
NO_TIP = bytes(16)


def vouch_proof_key(name: str, public_key: bytes) -> str:
    return f"vouch:{name}:{b64(public_key)}"


def sign(private_key: bytes, statement: bytes) -> bytes:
    return nacl.signing.SigningKey(bytes(private_key)).sign(statement).signature


def verifies(public_key: bytes, statement: bytes, signature: bytes) -> bool:
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        nacl.signing.VerifyKey(bytes(public_key)).verify(statement, bytes(signature))
        return True
    except nacl.exceptions.BadSignatureError:
        return False
