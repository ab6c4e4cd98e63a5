"""The members' tokens as bytes: Privacy Pass token type 0x0002 (RFC 9578 section 6), whose
signatures are RFC 9474 RSABSSA-SHA384-PSS-Deterministic. The member's side (tipline-token,
tipline.members.cli) blinds here, on the member's device, so the server signs without ever
seeing the token it signs; the server (tipline.insider, tipline.api, tipline.crypto) reads and
writes the same encodings from here, so both speak one format.

Standard library only: it travels in tipline-token.pyz. Every operation on this side works on
public values (the issuer's public key) or on the member's own blinding secret, so plain
integer arithmetic is enough; no private key is here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

TOKEN_TYPE = 0x0002
MODULUS_BYTES = 256  # RSA-2048
NONCE_BYTES = 32
SALT_BYTES = 48  # the PSS salt of the deterministic variant: sLen = hLen of SHA-384
TOKEN_BYTES = 2 + NONCE_BYTES + 32 + 32 + MODULUS_BYTES
TOKEN_TEXT_PREFIX = "tipv1:"
ANONYMITY_WARNING_BELOW = 20

# The DER of a SubjectPublicKeyInfo for a 2048-bit key with the id-RSASSA-PSS algorithm and
# SHA-384/MGF1-SHA-384/salt 48 parameters, up to the RSAPublicKey (RFC 9578 section 6.5).
PSS_SPKI_PREFIX = bytes.fromhex(
    "30820152303d06092a864886f70d01010a3030a00d300b0609608648016503040202"
    "a11a301806092a864886f70d010108300b0609608648016503040202a2030201300382010f00"
)


class TokenError(Exception):
    """A token, key or message is not what the protocol allows."""


# ---- RFC 9474 arithmetic on public values (client side) -------------------------------------


def _i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def _os2ip(data: bytes) -> int:
    return int.from_bytes(data, "big")


def _mgf1_sha384(seed: bytes, length: int) -> bytes:
    output = bytearray()
    for counter in range(math.ceil(length / 48)):
        output += hashlib.sha384(seed + _i2osp(counter, 4)).digest()
    return bytes(output[:length])


def emsa_pss_encode(message: bytes, em_bits: int, salt: bytes) -> bytes:
    """RFC 8017 section 9.1.1 with SHA-384 and MGF1-SHA-384."""
    em_len = math.ceil(em_bits / 8)
    m_hash = hashlib.sha384(message).digest()
    if em_len < len(m_hash) + len(salt) + 2:
        raise TokenError("encoding error")
    h = hashlib.sha384(bytes(8) + m_hash + salt).digest()
    db = bytes(em_len - len(salt) - len(h) - 2) + b"\x01" + salt
    masked = bytearray(a ^ b for a, b in zip(db, _mgf1_sha384(h, em_len - len(h) - 1), strict=True))
    masked[0] &= 0xFF >> (8 * em_len - em_bits)
    return bytes(masked) + h + b"\xbc"


def emsa_pss_verify(message: bytes, encoded: bytes, em_bits: int, salt_length: int) -> bool:
    """RFC 8017 section 9.1.2 with SHA-384 and MGF1-SHA-384."""
    em_len = math.ceil(em_bits / 8)
    m_hash = hashlib.sha384(message).digest()
    if len(encoded) != em_len or em_len < len(m_hash) + salt_length + 2 or encoded[-1] != 0xBC:
        return False
    masked, h = encoded[: em_len - 49], encoded[em_len - 49 : -1]
    unused_bits = 8 * em_len - em_bits
    if unused_bits and masked[0] >> (8 - unused_bits):
        return False
    db = bytearray(a ^ b for a, b in zip(masked, _mgf1_sha384(h, em_len - 49), strict=True))
    db[0] &= 0xFF >> unused_bits
    padding_length = em_len - 48 - salt_length - 2
    if any(db[:padding_length]) or db[padding_length] != 0x01:
        return False
    salt = bytes(db[len(db) - salt_length :]) if salt_length else b""
    return hmac.compare_digest(hashlib.sha384(bytes(8) + m_hash + salt).digest(), h)


@dataclass(frozen=True)
class PublicKey:
    n: int
    e: int

    @property
    def size(self) -> int:
        return (self.n.bit_length() + 7) // 8


def rsassa_pss_verify(key: PublicKey, message: bytes, signature: bytes, salt_length: int = SALT_BYTES) -> bool:
    if len(signature) != key.size:
        return False
    s = _os2ip(signature)
    if s >= key.n:
        return False
    encoded = _i2osp(pow(s, key.e, key.n), math.ceil((key.n.bit_length() - 1) / 8))
    return emsa_pss_verify(message, encoded, key.n.bit_length() - 1, salt_length)


def blind(key: PublicKey, message: bytes, salt: bytes | None = None, inv: int | None = None) -> tuple[bytes, int]:
    """RFC 9474 section 4.2: the blinded message and the inverse that finalize needs.

    `salt` and `inv` are for the published test vectors only; normally both are random."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    m = _os2ip(emsa_pss_encode(message, key.n.bit_length() - 1, salt))
    if math.gcd(m, key.n) != 1:
        raise TokenError("invalid input")
    if inv is None:
        while True:
            r = secrets.randbelow(key.n - 1) + 1
            if math.gcd(r, key.n) == 1:
                break
        inv = pow(r, -1, key.n)
    else:
        r = pow(inv, -1, key.n)
    return _i2osp(m * pow(r, key.e, key.n) % key.n, key.size), inv


def finalize(key: PublicKey, message: bytes, blind_signature: bytes, inv: int, salt_length: int = SALT_BYTES) -> bytes:
    """RFC 9474 section 4.4: unblind, and keep the signature only if it verifies."""
    if len(blind_signature) != key.size:
        raise TokenError("unexpected input size")
    signature = _i2osp(_os2ip(blind_signature) * inv % key.n, key.size)
    if not rsassa_pss_verify(key, message, signature, salt_length):
        raise TokenError("the server's answer does not verify: it was altered or signed with another key")
    return signature


def public_key_from_spki(spki: bytes) -> PublicKey:
    """Read an RFC 9578 (id-RSASSA-PSS, 2048-bit) SubjectPublicKeyInfo."""
    if not spki.startswith(PSS_SPKI_PREFIX):
        raise TokenError("not a 2048-bit RSASSA-PSS public key of token type 2")
    body, _ = _der_take(spki[len(PSS_SPKI_PREFIX) :], 0x30)
    n_bytes, rest = _der_take(body, 0x02)
    e_bytes, rest = _der_take(rest, 0x02)
    key = PublicKey(_os2ip(n_bytes), _os2ip(e_bytes))
    if rest or key.n.bit_length() != 2048 or key.e != 65537:
        raise TokenError("not a 2048-bit RSA key with exponent 65537")
    return key


def _der_take(data: bytes, tag: int) -> tuple[bytes, bytes]:
    if len(data) < 2 or data[0] != tag:
        raise TokenError("malformed public key")
    length, offset = data[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, offset = _os2ip(data[2 : 2 + count]), 2 + count
    if len(data) < offset + length:
        raise TokenError("malformed public key")
    return data[offset : offset + length], data[offset + length :]


# ---- Privacy Pass encodings (RFC 9577 section 2.1, RFC 9578 section 6) ----------------------


def encode_challenge(issuer_name: str, origin_info: str, redemption_context: bytes = b"") -> bytes:
    issuer, origin = issuer_name.encode(), origin_info.encode()
    if len(redemption_context) not in (0, 32):
        raise TokenError("a redemption context is empty or 32 bytes")
    return (
        TOKEN_TYPE.to_bytes(2, "big")
        + len(issuer).to_bytes(2, "big")
        + issuer
        + len(redemption_context).to_bytes(1, "big")
        + redemption_context
        + len(origin).to_bytes(2, "big")
        + origin
    )


def token_key_id(spki: bytes) -> bytes:
    return hashlib.sha256(spki).digest()


def token_input(nonce: bytes, challenge: bytes, key_id: bytes) -> bytes:
    return TOKEN_TYPE.to_bytes(2, "big") + nonce + hashlib.sha256(challenge).digest() + key_id


def token_request(key_id: bytes, blinded_message: bytes) -> bytes:
    return TOKEN_TYPE.to_bytes(2, "big") + key_id[-1:] + blinded_message


@dataclass(frozen=True)
class Token:
    nonce: bytes
    challenge_digest: bytes
    key_id: bytes
    authenticator: bytes

    @property
    def signed_input(self) -> bytes:
        return TOKEN_TYPE.to_bytes(2, "big") + self.nonce + self.challenge_digest + self.key_id

    def to_bytes(self) -> bytes:
        return self.signed_input + self.authenticator

    def to_text(self) -> str:
        return TOKEN_TEXT_PREFIX + base64.urlsafe_b64encode(self.to_bytes()).rstrip(b"=").decode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Token:
        if len(data) != TOKEN_BYTES or int.from_bytes(data[:2], "big") != TOKEN_TYPE:
            raise TokenError("not a token of this tip line")
        return cls(data[2:34], data[34:66], data[66:98], data[98:])

    @classmethod
    def from_text(cls, text: str) -> Token:
        compact = "".join(text.split())
        if not compact.startswith(TOKEN_TEXT_PREFIX):
            raise TokenError("a token starts with tipv1:")
        encoded = compact[len(TOKEN_TEXT_PREFIX) :]
        try:
            data = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            raise TokenError("the token is damaged: it holds characters a token never has") from None
        return cls.from_bytes(data)


@dataclass
class PendingToken:
    """One token being fetched: what the member keeps secret until the answer comes."""

    nonce: bytes
    message: bytes
    inv: int
    request: bytes

    @classmethod
    def start(cls, key: PublicKey, key_id: bytes, challenge: bytes) -> PendingToken:
        nonce = secrets.token_bytes(NONCE_BYTES)
        message = token_input(nonce, challenge, key_id)
        blinded, inv = blind(key, message)
        return cls(nonce, message, inv, token_request(key_id, blinded))

    def finish(self, key: PublicKey, challenge: bytes, key_id: bytes, response: bytes) -> Token:
        authenticator = finalize(key, self.message, response, self.inv)
        return Token(self.nonce, hashlib.sha256(challenge).digest(), key_id, authenticator)
