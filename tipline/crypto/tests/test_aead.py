"""Envelopes: round trips, and every way of tampering is refused."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tipline.crypto import aead
from tipline.crypto.errors import DecryptionError, UnsupportedFormatError

KEY = bytes(range(32))
WHERE = aead.context(b"\x01" * 16, "answers")


@given(plaintext=st.binary(max_size=4096), where=st.binary(max_size=64))
def test_round_trip(plaintext, where):
    envelope = aead.encrypt(KEY, plaintext, aead.Purpose.TIP_CONTENT, where)

    assert aead.decrypt(KEY, envelope, aead.Purpose.TIP_CONTENT, where) == plaintext
    assert len(envelope) == len(plaintext) + aead.OVERHEAD_BYTES


def test_every_byte_of_a_small_ciphertext_is_protected():
    envelope = aead.encrypt(KEY, b"the shipment leaves at 06:00", aead.Purpose.TIP_CONTENT, WHERE)

    for position in range(len(envelope)):
        for flip in (0x01, 0x80):
            altered = bytearray(envelope)
            altered[position] ^= flip
            with pytest.raises((DecryptionError, UnsupportedFormatError)):
                aead.decrypt(KEY, bytes(altered), aead.Purpose.TIP_CONTENT, WHERE)


@given(cut=st.integers(min_value=0, max_value=60))
def test_a_shortened_ciphertext_is_refused(cut):
    envelope = aead.encrypt(KEY, b"x" * 20, aead.Purpose.TIP_CONTENT, WHERE)

    with pytest.raises(DecryptionError):
        aead.decrypt(KEY, envelope[:cut], aead.Purpose.TIP_CONTENT, WHERE)


@settings(max_examples=50)
@given(other=st.binary(min_size=1, max_size=40))
def test_a_ciphertext_moved_to_another_place_is_refused(other):
    envelope = aead.encrypt(KEY, b"answer", aead.Purpose.TIP_CONTENT, WHERE)

    with pytest.raises(DecryptionError):
        aead.decrypt(KEY, envelope, aead.Purpose.TIP_CONTENT, WHERE + other)


def test_a_ciphertext_read_for_another_purpose_is_refused():
    envelope = aead.encrypt(KEY, b"secret", aead.Purpose.TIP_CONTENT, WHERE)

    with pytest.raises(DecryptionError):
        aead.decrypt(KEY, envelope, aead.Purpose.FILE_KEY, WHERE)


def test_a_wrong_key_is_refused():
    envelope = aead.encrypt(KEY, b"secret", aead.Purpose.TIP_CONTENT, WHERE)

    with pytest.raises(DecryptionError):
        aead.decrypt(bytes(32), envelope, aead.Purpose.TIP_CONTENT, WHERE)


def test_context_parts_cannot_be_shifted_into_each_other():
    assert aead.context("ab", "c") != aead.context("a", "bc")
    assert aead.context(b"", "x") != aead.context("x")
