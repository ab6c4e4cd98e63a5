"""X-Wing, the hybrid KEM of ML-KEM-768 and X25519 (draft-connolly-cfrg-xwing-kem-10), composed
from `cryptography`'s ML-KEM-768, libsodium's X25519, and SHAKE-256 / SHA3-256 from hashlib.

A shared secret stays secret while either ML-KEM-768 or X25519 holds. The private key is the
draft's 32-byte seed: SHAKE-256 expands it into ML-KEM-768's seed (d, z) and the X25519 key.
Checked against the draft's Appendices C and D in tests/test_xwing_vectors.py.
"""

import hashlib

import nacl.bindings as sodium
import nacl.exceptions
import nacl.utils
from cryptography.hazmat.primitives.asymmetric import mlkem

from tipline.crypto.errors import DecryptionError

PRIVATE_KEY_BYTES = 32
PUBLIC_KEY_BYTES = 1216
CIPHERTEXT_BYTES = 1120
SHARED_SECRET_BYTES = 32
ML_KEM_PUBLIC_KEY_BYTES = 1184
ML_KEM_CIPHERTEXT_BYTES = 1088
X25519_BYTES = 32
# The draft's XWingLabel: the six ASCII characters \./ and /^\ (hex 5c2e2f2f5e5c).
LABEL = b"\\./" + b"/^\\"


def generate_private_key() -> bytes:
    return nacl.utils.random(PRIVATE_KEY_BYTES)


def public_key_of(private_key: bytes) -> bytes:
    """The 1216-byte encapsulation key: ML-KEM-768's, then X25519's (the draft's GenerateKeyPairDerand)."""
    ml_kem_key, _x25519_private, x25519_public = _expand(private_key)
    return ml_kem_key.public_key().public_bytes_raw() + x25519_public


def check_public_key(public_key: bytes) -> None:
    """Raises ValueError unless `public_key` can be encapsulated to: its length, FIPS 203's
    encapsulation key check (which `cryptography` makes when it reads the ML-KEM key), and an
    X25519 half that is not a low-order point (which libsodium would refuse)."""
    _ml_kem_public_key(public_key)
    try:  # a clamped scalar is a multiple of the cofactor: only a low-order point gives zero
        sodium.crypto_scalarmult(bytes(X25519_BYTES), bytes(public_key)[ML_KEM_PUBLIC_KEY_BYTES:])
    except nacl.exceptions.CryptoError:
        raise ValueError("The X25519 half of this public key is not a usable key.") from None


def encapsulate(public_key: bytes) -> tuple[bytes, bytes]:
    """(shared secret, 1120-byte ciphertext) for the holder of `public_key`'s private half.
    Raises ValueError for what is not an X-Wing public key."""
    ml_kem_secret, ml_kem_ciphertext = _ml_kem_public_key(public_key).encapsulate()
    x25519_ephemeral = nacl.utils.random(X25519_BYTES)
    return encapsulate_after_ml_kem(
        ml_kem_secret, ml_kem_ciphertext, x25519_ephemeral, bytes(public_key)[ML_KEM_PUBLIC_KEY_BYTES:]
    )


def encapsulate_after_ml_kem(
    ml_kem_secret: bytes, ml_kem_ciphertext: bytes, x25519_ephemeral: bytes, x25519_public: bytes
) -> tuple[bytes, bytes]:
    """The draft's EncapsulateDerand from its ML-KEM step on. Apart so that the draft's vectors
    check this half too: `cryptography` has no ML-KEM encapsulation from given randomness."""
    x25519_ciphertext = sodium.crypto_scalarmult_base(bytes(x25519_ephemeral))
    try:
        x25519_secret = sodium.crypto_scalarmult(bytes(x25519_ephemeral), bytes(x25519_public))
    except nacl.exceptions.CryptoError:  # libsodium refuses a low-order point (an all-zero secret)
        raise ValueError("The X25519 half of this public key is not a usable key.") from None
    shared_secret = combine(ml_kem_secret, x25519_secret, x25519_ciphertext, x25519_public)
    return shared_secret, bytes(ml_kem_ciphertext) + x25519_ciphertext


def decapsulate(ciphertext: bytes, private_key: bytes) -> bytes:
    """The shared secret. A ciphertext altered in its ML-KEM half gives another secret, not an
    error (ML-KEM's implicit rejection); DecryptionError for a wrong length, or an X25519 half
    that is a low-order point, which no encapsulation makes (libsodium refuses it)."""
    ciphertext = bytes(ciphertext)
    if len(ciphertext) != CIPHERTEXT_BYTES:
        raise DecryptionError(f"An X-Wing ciphertext is {CIPHERTEXT_BYTES} bytes long.")
    ml_kem_key, x25519_private, x25519_public = _expand(private_key)
    ml_kem_secret = ml_kem_key.decapsulate(ciphertext[:ML_KEM_CIPHERTEXT_BYTES])
    x25519_ciphertext = ciphertext[ML_KEM_CIPHERTEXT_BYTES:]
    try:
        x25519_secret = sodium.crypto_scalarmult(x25519_private, x25519_ciphertext)
    except nacl.exceptions.CryptoError:
        raise DecryptionError("This ciphertext was not made by an X-Wing encapsulation.") from None
    return combine(ml_kem_secret, x25519_secret, x25519_ciphertext, x25519_public)


def combine(ml_kem_secret: bytes, x25519_secret: bytes, x25519_ciphertext: bytes, x25519_public: bytes) -> bytes:
    """The draft's Combiner: SHA3-256 over both secrets, the X25519 ciphertext and public key, and the label."""
    return hashlib.sha3_256(
        bytes(ml_kem_secret) + bytes(x25519_secret) + bytes(x25519_ciphertext) + bytes(x25519_public) + LABEL
    ).digest()


def _ml_kem_public_key(public_key: bytes) -> mlkem.MLKEM768PublicKey:
    public_key = bytes(public_key)
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise ValueError(f"An X-Wing public key is {PUBLIC_KEY_BYTES} bytes long.")
    return mlkem.MLKEM768PublicKey.from_public_bytes(public_key[:ML_KEM_PUBLIC_KEY_BYTES])


def _expand(private_key: bytes) -> tuple[mlkem.MLKEM768PrivateKey, bytes, bytes]:
    """The draft's expandDecapsulationKey: (ML-KEM-768 key, X25519 private key, X25519 public key)."""
    if len(private_key) != PRIVATE_KEY_BYTES:
        raise ValueError(f"An X-Wing private key is a {PRIVATE_KEY_BYTES}-byte seed.")
    expanded = hashlib.shake_256(bytes(private_key)).digest(96)
    # FIPS 203's 64-byte seed is d || z, the two halves KeyGen_internal(d, z) takes.
    ml_kem_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64])
    x25519_private = expanded[64:]
    return ml_kem_key, x25519_private, sodium.crypto_scalarmult_base(x25519_private)
