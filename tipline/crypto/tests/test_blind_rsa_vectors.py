"""The blind RSA pieces against the RFCs' published vectors: RFC 9474 Appendix A for every
step of the signature scheme, and RFC 9578 Appendix A.2 for whole Privacy Pass tokens.

Both sides are checked: the member's client (tipline.members.protocol, standard library only)
and the issuer (tipline.crypto.blind_signing, cryptography + gmpy2)."""

import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tipline.crypto import blind_signing
from tipline.members import protocol as client

VECTORS = Path(__file__).parent / "vectors"


def read_vectors(name: str) -> dict[str, dict[str, str]]:
    """Sections (`## title`) of `key = value` or `key: value` lines; a value may go on over
    the following lines, as the RFCs lay them out."""
    sections: dict[str, dict[str, str]] = {}
    section = key = None
    for line in (VECTORS / name).read_text().splitlines():
        if line.startswith("## "):
            section, key = sections.setdefault(line[3:].strip(), {}), None
        elif not line.strip() or line.startswith("#"):
            continue
        elif "=" in line or ":" in line:
            separator = "=" if "=" in line else ":"
            key, value = (part.strip() for part in line.split(separator, 1))
            section[key] = value
        else:
            section[key] += line.strip()
    return sections


RFC9474 = read_vectors("rfc9474_appendix_a.txt")
RFC9474_VARIANTS = [name for name in RFC9474 if name.startswith("A.")]
RFC9578 = read_vectors("rfc9578_type2.txt")
RFC9578_VECTORS = [name for name in RFC9578 if name.startswith("Test vector")]


def hex_int(value: str) -> int:
    return int(value, 16)


@pytest.fixture(scope="module")
def rfc9474_key() -> rsa.RSAPrivateKey:
    key = RFC9474["key"]
    p, q, d, n, e = (hex_int(key[name]) for name in ("p", "q", "d", "n", "e"))
    assert p * q == n
    public = rsa.RSAPublicNumbers(e, n)
    return rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), public
    ).private_key()


@pytest.mark.parametrize("variant", RFC9474_VARIANTS)
def test_rfc9474_blind_sign_finalize_and_verify_match_appendix_a(variant, rfc9474_key):
    vector, key = RFC9474[variant], RFC9474["key"]
    public = client.PublicKey(hex_int(key["n"]), hex_int(key["e"]))
    salt = bytes.fromhex(vector["salt"])
    prepared = bytes.fromhex(vector["msg_prefix"]) + bytes.fromhex(key["msg"])
    if "encoded_msg" in vector:
        assert client.emsa_pss_encode(prepared, public.n.bit_length() - 1, salt).hex() == vector["encoded_msg"]

    blinded, inv = client.blind(public, prepared, salt=salt, inv=hex_int(vector["inv"]))
    assert blinded.hex() == vector["blinded_msg"]

    blind_signature = blind_signing.blind_sign(rfc9474_key, blinded)
    assert blind_signature.hex() == vector["blind_sig"]

    signature = client.finalize(public, prepared, blind_signature, inv, salt_length=len(salt))
    assert signature.hex() == vector["sig"]
    assert client.rsassa_pss_verify(public, prepared, signature, salt_length=len(salt))
    if len(salt) == client.SALT_BYTES:  # the issuer verifies only the variant we use
        assert blind_signing.verify(rfc9474_key.public_key(), prepared, signature)


@pytest.fixture(scope="module")
def rfc9578_issuer() -> rsa.RSAPrivateKey:
    pem = bytes.fromhex(RFC9578["key"]["skS"])
    return serialization.load_pem_private_key(pem, password=None)


def test_rfc9578_public_key_encoding_matches_pks(rfc9578_issuer):
    pks = bytes.fromhex(RFC9578["key"]["pkS"])
    assert blind_signing.public_spki(rfc9578_issuer.public_key()) == pks
    assert client.public_key_from_spki(pks).n == rfc9578_issuer.public_key().public_numbers().n
    assert blind_signing.load_public_key(pks).public_numbers() == rfc9578_issuer.public_key().public_numbers()


@pytest.mark.parametrize("name", RFC9578_VECTORS)
def test_rfc9578_token_request_response_and_token_match_appendix_a2(name, rfc9578_issuer):
    vector, pks = RFC9578[name], bytes.fromhex(RFC9578["key"]["pkS"])
    public = client.public_key_from_spki(pks)
    key_id = client.token_key_id(pks)
    challenge, nonce = bytes.fromhex(vector["token_challenge"]), bytes.fromhex(vector["nonce"])
    message = client.token_input(nonce, challenge, key_id)

    # The RFC publishes r itself as `blind`; our blind() takes its inverse, as RFC 9474's vectors do.
    r = int.from_bytes(bytes.fromhex(vector["blind"]), "big")
    blinded, inv = client.blind(public, message, salt=bytes.fromhex(vector["salt"]), inv=pow(r, -1, public.n))
    assert client.token_request(key_id, blinded).hex() == vector["token_request"]

    response = blind_signing.blind_sign(rfc9578_issuer, blinded)
    assert response.hex() == vector["token_response"]

    authenticator = client.finalize(public, message, response, inv)
    token = client.Token(nonce, hashlib.sha256(challenge).digest(), key_id, authenticator)
    assert token.to_bytes().hex() == vector["token"]
    assert client.Token.from_text(token.to_text()) == token
    assert blind_signing.verify(blind_signing.load_public_key(pks), token.signed_input, token.authenticator)


def test_challenge_encoding_matches_rfc9578_vector_without_redemption_context():
    assert (
        client.encode_challenge("issuer.example", "origin.example").hex() == RFC9578["Test vector 2"]["token_challenge"]
    )


def test_blind_sign_refuses_inputs_of_the_wrong_length_or_out_of_range(rfc9578_issuer):
    n = rfc9578_issuer.public_key().public_numbers().n
    for bad in (b"", bytes(255), bytes(257), bytes(256), n.to_bytes(256, "big"), (n + 1).to_bytes(256, "big")):
        with pytest.raises(blind_signing.BlindSignError):
            blind_signing.blind_sign(rfc9578_issuer, bad)


def test_blind_sign_checks_its_result_and_returns_nothing_on_a_fault(rfc9578_issuer, monkeypatch):
    faulty = blind_signing._crt_power
    monkeypatch.setattr(blind_signing, "_crt_power", lambda value, numbers: faulty(value, numbers) + 1)
    with pytest.raises(blind_signing.SigningFault):
        blind_signing.blind_sign(rfc9578_issuer, (12345).to_bytes(256, "big"))


def test_the_secret_exponentiation_is_gmps_constant_time_powmod_on_a_reblinded_value(rfc9578_issuer, monkeypatch):
    seen = []
    original = blind_signing.gmpy2.powmod_sec
    monkeypatch.setattr(blind_signing.gmpy2, "powmod_sec", lambda *args: seen.append(args) or original(*args))
    message = (12345).to_bytes(256, "big")
    blind_signing.blind_sign(rfc9578_issuer, message)
    numbers = rfc9578_issuer.private_numbers()
    secret_calls = [args for args in seen if int(args[1]) in (numbers.dmp1, numbers.dmq1)]
    assert len(secret_calls) == 2  # one per CRT half
    assert all(int(args[0]) != 12345 % int(args[2]) for args in secret_calls)  # never the client's value


def test_a_generated_key_issues_tokens_that_verify_and_refuses_altered_ones():
    pair = blind_signing.generate_key_pair()
    private = blind_signing.load_private_key(pair.private_pkcs8)
    public = client.public_key_from_spki(pair.public_spki)
    challenge = client.encode_challenge("tips.example", "police/2920")
    key_id = client.token_key_id(pair.public_spki)
    pending = client.PendingToken.start(public, key_id, challenge)
    token = pending.finish(public, challenge, key_id, blind_signing.blind_sign(private, pending.request[3:]))
    verifier = blind_signing.load_public_key(pair.public_spki)
    assert blind_signing.verify(verifier, token.signed_input, token.authenticator)
    altered = bytearray(token.authenticator)
    altered[-1] ^= 1
    assert not blind_signing.verify(verifier, token.signed_input, bytes(altered))
    with pytest.raises(client.TokenError):
        pending.finish(public, challenge, key_id, bytes(altered))
