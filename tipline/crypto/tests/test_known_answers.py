"""Known-answer tests: fixed inputs and stored ciphertexts, so that a silent change of
format, parameters or derivation fails here instead of making old data unreadable."""

import subprocess
import sys

from tipline.crypto import content, files, kdf, receipts, recipient_keys, tip_keys

RECEIPT = "0482 1937 5520 8813 6409 7277"
SITE_SALT = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
KEY = bytes(range(32))
TIP_ID = bytes(range(16))


def test_production_parameters_are_the_documented_ones():
    assert kdf.PRODUCTION.password == kdf.KdfParams(opslimit=3, memlimit=128 * 1024 * 1024)
    assert kdf.PRODUCTION.receipt == kdf.KdfParams(opslimit=2, memlimit=64 * 1024 * 1024)
    assert kdf.policy(insecure_fast=False) is kdf.PRODUCTION
    assert kdf.policy(insecure_fast=True).receipt.memlimit < kdf.PRODUCTION.receipt.memlimit


def test_receipt_derivation_with_production_parameters():
    keys = receipts.derive_receipt_keys(RECEIPT, SITE_SALT, kdf.RECEIPT_PARAMS)

    assert keys.lookup_id.hex() == LOOKUP_ID_HEX
    assert keys.wrapping_key.hex() == WRAPPING_KEY_HEX


def test_stored_envelope_still_opens():
    where = content.content_context(TIP_ID, "answers")

    assert content.decrypt_json(KEY, bytes.fromhex(ANSWERS_ENVELOPE_HEX), where) == {"what": "known answer"}


def test_stored_password_wrap_still_opens():
    private_key = recipient_keys.unwrap_with_password(
        bytes.fromhex(WRAPPED_PRIVATE_KEY_HEX), "known answer pw", b"user:1"
    )

    assert recipient_keys.public_key_of(private_key).hex() == PUBLIC_KEY_HEX


def test_stored_file_stream_still_opens():
    stream = bytes.fromhex(FILE_STREAM_HEX)

    assert b"".join(files.decrypt_chunks(KEY, [stream], files.file_context(TIP_ID, "f1"))) == b"known file body"


def test_stored_tipster_wrap_still_opens():
    assert tip_keys.unwrap_for_tipster(bytes.fromhex(TIPSTER_WRAP_HEX), KEY, TIP_ID) == bytes(range(32, 64))


def test_the_crypto_package_imports_nothing_from_django():
    code = (
        "import sys, pkgutil, importlib, tipline.crypto as c\n"
        "for m in pkgutil.iter_modules(c.__path__):\n"
        "    if m.name != 'tests': importlib.import_module('tipline.crypto.' + m.name)\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'django'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"


# Produced once by tipline.crypto 0.1.0 (format version 1). Never regenerate them to make a test
# pass: a change here means data written before it can no longer be read.
LOOKUP_ID_HEX = "e695249fec4578015e0853b220a21890d1f3bf8457ab04805651d2adf25df883"
WRAPPING_KEY_HEX = "1933b950ffd8d50bdd085ed9b0344219f5abeee4363e95e7b54e4b2596a498e8"
ANSWERS_ENVELOPE_HEX = (
    "01441a5961cba0fc00248eaa0ccf6a740eff3928efdaff6ec19159c24d9ba1d10a2f2a5048f6c081342a315fb85868f0"
    "475b4f5271075051f7603f0e8a0322a28f2b38613cbdc67d60a008e5288f709df27959d750e560946f36039a38bbb257"
    "cedd19848928fff69a76eb703f49bc314d133be404422e898427c4b45cea95147ed2698ed626307dd0ca0662bb4fe265"
    "d07a58adb207a0aa8eeb00e6d9ee147bfa00cc5cf2e65beb0027b42dde583bb1d8e689f7246eefc6210fafe23fab6429"
    "03fcc58370629ff9288a6bdc6103a595b55e163c987fffd71c204c13d13e52ab7cb35ca120fc3a1a36be49e165d1aebe"
    "b17f142e66b45f9c7270c668167200c99323e7a7f08909dbd3df04f36949fa8fa6eceee9f5ba7c574a65758cc97cebfb"
    "10ae69579dfff99b33"
)
WRAPPED_PRIVATE_KEY_HEX = (
    "01010000000300000000080000006458cc61dcafc0e76fe4d08c3c6e69a701c4ba5b8d8966cddaed97ff0ed10430025c"
    "f688725103ce838bf3c5ea3ce8ea71337063405971d1434533d4562869e1a169c3397279c4c23654e7c4255702b981ae"
    "062a6629e6523d"
)
PUBLIC_KEY_HEX = "eb93f38f1380f33f0c71a0a539b1a1a73dfba20f6af19e817a7856554429cd54"
FILE_STREAM_HEX = (
    "010979d8705b49469ad6f44933b338348ca78f3f7e66ff8fd0d6f9354df389c936dbe6eeed4a389502b675238538aa60c1059d81b76fee3c53"
)
TIPSTER_WRAP_HEX = (
    "01a56de85512da2664340b4cc56b99bbbebbd3d3683ceed956bb3c05ef68a14850e0ee5d0a96050a981bf696e96111eb"
    "e45585dccd799ad313f06b71b05f106c772e382ffa9a9944f6"
)
