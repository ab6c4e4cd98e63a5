"""X-Wing against draft-connolly-cfrg-xwing-kem-10: Appendix C (vectors/xwing_draft10_appendix_c.txt)
for key generation from the seed, decapsulation, and encapsulation from its ML-KEM step on, and
Appendix D's X.509 key pair (vectors/xwing_draft10_appendix_d.txt) for key generation once more.

`cryptography` offers no ML-KEM encapsulation from given randomness, so encapsulation with the
published eseed is checked in two parts: the ML-KEM half of the published ciphertext is shown to
carry eseed's first half (FIPS 203: K = SHA3-512(m || H(ek))[:32]), and the rest of encapsulation
(X25519 from eseed's second half, the combiner, the layout) must give the published ciphertext and
shared secret exactly."""

import base64
import hashlib
import re
from pathlib import Path

import nacl.bindings as sodium
import pytest
from cryptography.hazmat.primitives.asymmetric import mlkem

from tipline.crypto import xwing
from tipline.crypto.errors import DecryptionError

VECTORS = Path(__file__).parent / "vectors" / "xwing_draft10_appendix_c.txt"
X509_EXAMPLE = Path(__file__).parent / "vectors" / "xwing_draft10_appendix_d.txt"
# DER before the raw key: PKCS #8 (version 0, id-XWing, an OCTET STRING of 32) and
# SubjectPublicKeyInfo (id-XWing, a BIT STRING of 1216 bytes), id-XWing being 1.3.6.1.4.1.62253.25722.
PKCS8_PREFIX = bytes.fromhex("3034020100300d060b2b0601040183e62d81c87a0420")
SPKI_PREFIX = bytes.fromhex("308204d4300d060b2b0601040183e62d81c87a038204c100")


def read_vectors() -> list[dict[str, bytes]]:
    """The draft's layout: `name value` or `name` then indented lines of hexadecimal; each
    vector starts with its seed."""
    vectors, name = [], None
    for line in VECTORS.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line[0].isspace():
            vectors[-1][name] += line.strip()
            continue
        name, _, value = line.partition(" ")
        if name == "seed":
            vectors.append({})
        vectors[-1][name] = value.strip()
    return [{key: bytes.fromhex(value) for key, value in vector.items()} for vector in vectors]


DRAFT = read_vectors()
NUMBERED = pytest.mark.parametrize("vector", DRAFT, ids=[f"vector {number}" for number in range(1, len(DRAFT) + 1)])


def ml_kem_key(seed: bytes) -> mlkem.MLKEM768PrivateKey:
    return mlkem.MLKEM768PrivateKey.from_seed_bytes(hashlib.shake_256(seed).digest(96)[:64])


def test_the_draft_publishes_three_vectors_of_the_documented_sizes():
    assert len(DRAFT) == 3
    for vector in DRAFT:
        assert vector["sk"] == vector["seed"]
        assert [len(vector[name]) for name in ("sk", "pk", "eseed", "ct", "ss")] == [
            xwing.PRIVATE_KEY_BYTES,
            xwing.PUBLIC_KEY_BYTES,
            64,
            xwing.CIPHERTEXT_BYTES,
            xwing.SHARED_SECRET_BYTES,
        ]
    assert (xwing.PRIVATE_KEY_BYTES, xwing.PUBLIC_KEY_BYTES, xwing.CIPHERTEXT_BYTES) == (32, 1216, 1120)


def test_the_label_is_the_drafts_six_bytes():
    assert xwing.LABEL.hex() == "5c2e2f2f5e5c"
    assert xwing.LABEL.decode() == "\\./" + "/^\\"


@NUMBERED
def test_key_generation_from_the_seed_gives_the_published_public_key(vector):
    assert xwing.public_key_of(vector["seed"]) == vector["pk"]


def test_the_x509_examples_private_key_gives_its_public_key():
    blocks = dict(re.findall(r"-----BEGIN (.+?)-----\n(.+?)-----END", X509_EXAMPLE.read_text(), re.DOTALL))
    private_der, public_der = (base64.b64decode(blocks[kind]) for kind in ("PRIVATE KEY", "PUBLIC KEY"))

    assert private_der.removeprefix(PKCS8_PREFIX) == bytes(range(32))
    assert public_der.removeprefix(SPKI_PREFIX) == xwing.public_key_of(bytes(range(32)))


@NUMBERED
def test_decapsulation_of_the_published_ciphertext_gives_the_published_secret(vector):
    assert xwing.decapsulate(vector["ct"], vector["sk"]) == vector["ss"]


@NUMBERED
def test_the_published_ciphertext_carries_the_eseeds_ml_kem_randomness(vector):
    ml_kem_public = vector["pk"][: xwing.ML_KEM_PUBLIC_KEY_BYTES]
    ml_kem_secret = ml_kem_key(vector["seed"]).decapsulate(vector["ct"][: xwing.ML_KEM_CIPHERTEXT_BYTES])

    expected = hashlib.sha3_512(vector["eseed"][:32] + hashlib.sha3_256(ml_kem_public).digest()).digest()[:32]
    assert ml_kem_secret == expected


@NUMBERED
def test_encapsulation_with_the_eseed_gives_the_published_ciphertext_and_secret(vector):
    ml_kem_ciphertext = vector["ct"][: xwing.ML_KEM_CIPHERTEXT_BYTES]
    ml_kem_secret = ml_kem_key(vector["seed"]).decapsulate(ml_kem_ciphertext)
    x25519_public = vector["pk"][xwing.ML_KEM_PUBLIC_KEY_BYTES :]

    shared_secret, ciphertext = xwing.encapsulate_after_ml_kem(
        ml_kem_secret, ml_kem_ciphertext, vector["eseed"][32:], x25519_public
    )

    assert (shared_secret, ciphertext) == (vector["ss"], vector["ct"])


@NUMBERED
def test_a_tampered_ml_kem_half_gives_ml_kems_implicit_rejection_secret(vector):
    tampered = bytearray(vector["ct"])
    tampered[100] ^= 0x01

    shared_secret = xwing.decapsulate(bytes(tampered), vector["sk"])

    # FIPS 203: an altered ciphertext yields J(z || c) = SHAKE-256(z || c)[:32], z being the seed's second half.
    z = hashlib.shake_256(vector["seed"]).digest(96)[32:64]
    rejected = hashlib.shake_256(z + bytes(tampered[: xwing.ML_KEM_CIPHERTEXT_BYTES])).digest(32)
    x25519_private = hashlib.shake_256(vector["seed"]).digest(96)[64:]
    x25519_ciphertext = vector["ct"][xwing.ML_KEM_CIPHERTEXT_BYTES :]
    x25519_secret = sodium.crypto_scalarmult(x25519_private, x25519_ciphertext)
    assert shared_secret != vector["ss"]
    assert shared_secret == xwing.combine(rejected, x25519_secret, x25519_ciphertext, vector["pk"][-32:])


@NUMBERED
def test_a_tampered_x25519_half_gives_another_secret(vector):
    tampered = bytearray(vector["ct"])
    tampered[-1] ^= 0x01

    assert xwing.decapsulate(bytes(tampered), vector["sk"]) != vector["ss"]


def test_encapsulation_and_decapsulation_agree_on_fresh_keys():
    private_key = xwing.generate_private_key()
    shared_secret, ciphertext = xwing.encapsulate(xwing.public_key_of(private_key))

    assert len(ciphertext) == xwing.CIPHERTEXT_BYTES
    assert xwing.decapsulate(ciphertext, private_key) == shared_secret
    assert xwing.decapsulate(ciphertext, xwing.generate_private_key()) != shared_secret


def test_a_low_order_x25519_half_is_refused_not_combined():
    ciphertext = DRAFT[0]["ct"][: xwing.ML_KEM_CIPHERTEXT_BYTES] + bytes(32)

    with pytest.raises(DecryptionError):
        xwing.decapsulate(ciphertext, DRAFT[0]["sk"])
    low_order_public_key = DRAFT[0]["pk"][: xwing.ML_KEM_PUBLIC_KEY_BYTES] + bytes(32)
    with pytest.raises(ValueError):
        xwing.encapsulate(low_order_public_key)
    with pytest.raises(ValueError):
        xwing.check_public_key(low_order_public_key)
    xwing.check_public_key(DRAFT[0]["pk"])


def test_what_is_not_an_x_wing_key_or_ciphertext_is_refused():
    public_key = bytearray(DRAFT[0]["pk"])
    public_key[0], public_key[1] = 0xFF, public_key[1] | 0x0F  # a coefficient of 4095, not below q = 3329

    with pytest.raises(ValueError):
        xwing.encapsulate(bytes(public_key))  # FIPS 203's encapsulation key check
    with pytest.raises(ValueError):
        xwing.encapsulate(DRAFT[0]["pk"][:-1])
    with pytest.raises(ValueError):
        xwing.public_key_of(bytes(31))
    with pytest.raises(DecryptionError):
        xwing.decapsulate(DRAFT[0]["ct"][:-1], DRAFT[0]["sk"])
