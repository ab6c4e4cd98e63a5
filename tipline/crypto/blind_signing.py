"""The issuer's side of RFC 9474 blind RSA (RSABSSA-SHA384-PSS-Deterministic, 2048-bit):
key generation, the hardened BlindSign, and verifying a finished token's signature.

Keys and PSS verification come from `cryptography`; the one secret exponentiation uses
GMP's `mpz_powm_sec` (gmpy2.powmod_sec), built to resist timing attacks, never Python's
`pow`. BlindSign follows RFC 9474 section 7.1: exact-length and range checks, a fresh
server-side re-blinding so the secret exponentiation never runs on a value the client
chose, CRT, and a check of the result before it leaves (a faulty CRT half would otherwise
hand out a factor of the modulus).
"""

import secrets
from dataclasses import dataclass

import gmpy2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tipline.members.protocol import MODULUS_BYTES, PSS_SPKI_PREFIX, SALT_BYTES

PUBLIC_EXPONENT = 65537
MODULUS_BITS = 8 * MODULUS_BYTES


class BlindSignError(ValueError):
    """The blinded message cannot be signed: wrong length or out of range."""


class SigningFault(RuntimeError):
    """The signature failed its own check; nothing was returned."""


@dataclass(frozen=True)
class IssuerKeyPair:
    private_pkcs8: bytes  # DER; keep it sealed at rest
    public_spki: bytes  # the RFC 9578 encoding, whose SHA-256 is the token key id


def generate_key_pair() -> IssuerKeyPair:
    key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=MODULUS_BITS)
    private = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return IssuerKeyPair(private, public_spki(key.public_key()))


def public_spki(public_key: rsa.RSAPublicKey) -> bytes:
    """RFC 9578 section 6.5: the id-RSASSA-PSS SubjectPublicKeyInfo (cryptography writes only
    the rsaEncryption form, so the fixed algorithm prefix is put in front of the RSAPublicKey)."""
    if public_key.key_size != MODULUS_BITS or public_key.public_numbers().e != PUBLIC_EXPONENT:
        raise ValueError("token keys are 2048-bit with exponent 65537")
    return PSS_SPKI_PREFIX + public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


def load_private_key(private_pkcs8: bytes) -> rsa.RSAPrivateKey:
    # OpenSSL's key check costs ~35 ms per load. Our keys come out of an authenticated
    # envelope we sealed ourselves, and every signature is checked before it leaves, so the
    # check would catch nothing those two do not.
    key = serialization.load_der_private_key(private_pkcs8, password=None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def blind_sign(private_key: rsa.RSAPrivateKey, blinded_message: bytes) -> bytes:
    """RFC 9474 section 4.3 BlindSign, hardened as section 7.1 asks."""
    numbers = private_key.private_numbers()
    public = numbers.public_numbers
    n, e = gmpy2.mpz(public.n), gmpy2.mpz(public.e)
    size = (public.n.bit_length() + 7) // 8
    if len(blinded_message) != size:
        raise BlindSignError(f"a blinded message is exactly {size} bytes")
    m = gmpy2.mpz(int.from_bytes(blinded_message, "big"))
    if not 0 < m < n or gmpy2.gcd(m, n) != 1:
        raise BlindSignError("the blinded message is out of range")
    r = _random_unit(n)
    reblinded = m * gmpy2.powmod_sec(r, e, n) % n
    s = _crt_power(reblinded, numbers) * gmpy2.invert(r, n) % n
    if gmpy2.powmod(s, e, n) != m:
        raise SigningFault("the blind signature failed its check")
    return int(s).to_bytes(size, "big")


def verify(public_key: rsa.RSAPublicKey, message: bytes, signature: bytes) -> bool:
    """RSASSA-PSS with SHA-384, MGF1-SHA-384 and a 48-byte salt: a finished token's check."""
    try:
        public_key.verify(
            signature,
            message,
            padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=SALT_BYTES),
            hashes.SHA384(),
        )
    except InvalidSignature:
        return False
    return True


def load_public_key(spki: bytes) -> rsa.RSAPublicKey:
    """Read an RFC 9578 SPKI back into a key `cryptography` can verify with."""
    if not spki.startswith(PSS_SPKI_PREFIX):
        raise ValueError("not a token type 2 public key")
    key = serialization.load_der_public_key(_rsa_encryption_spki(spki[len(PSS_SPKI_PREFIX) :]))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def _rsa_encryption_spki(pkcs1: bytes) -> bytes:
    # SubjectPublicKeyInfo { rsaEncryption, NULL } wrapping the same RSAPublicKey.
    algorithm = bytes.fromhex("300d06092a864886f70d0101010500")
    bit_string = b"\x03" + _der_length(len(pkcs1) + 1) + b"\x00" + pkcs1
    body = algorithm + bit_string
    return b"\x30" + _der_length(len(body)) + body


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _random_unit(n: gmpy2.mpz) -> gmpy2.mpz:
    while True:
        r = gmpy2.mpz(secrets.randbelow(int(n) - 1) + 1)
        if gmpy2.gcd(r, n) == 1:
            return r


def _crt_power(value: gmpy2.mpz, numbers: rsa.RSAPrivateNumbers) -> gmpy2.mpz:
    p, q = gmpy2.mpz(numbers.p), gmpy2.mpz(numbers.q)
    m1 = gmpy2.powmod_sec(value % p, gmpy2.mpz(numbers.dmp1), p)
    m2 = gmpy2.powmod_sec(value % q, gmpy2.mpz(numbers.dmq1), q)
    h = gmpy2.mpz(numbers.iqmp) * (m1 - m2) % p
    return m2 + h * q
