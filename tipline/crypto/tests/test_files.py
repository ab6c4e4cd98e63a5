"""File streams: any chunking round-trips; truncation, reordering and tampering are refused."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tipline.crypto import files
from tipline.crypto.errors import DecryptionError, TruncatedStreamError

FILE_KEY = bytes(range(32))
WHERE = files.file_context(bytes(16), "file-1")
CHUNK = files.CHUNK_BYTES


def encrypt(data: bytes, piece: int = 10_000) -> bytes:
    return b"".join(files.encrypt_chunks(FILE_KEY, split(data, piece), WHERE))


def decrypt(stream: bytes, piece: int = 7_777, where: bytes = WHERE) -> bytes:
    return b"".join(files.decrypt_chunks(FILE_KEY, split(stream, piece), where))


def split(data: bytes, piece: int) -> list[bytes]:
    return [data[start : start + piece] for start in range(0, len(data), piece)] or [b""]


def frames(stream: bytes) -> tuple[bytes, list[bytes]]:
    body = stream[files.PREAMBLE_BYTES :]
    return stream[: files.PREAMBLE_BYTES], split(body, files.FRAME_BYTES)


@settings(max_examples=40, deadline=None)
@given(
    size=st.sampled_from([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5]),
    in_piece=st.integers(1, 3 * CHUNK),
    out_piece=st.integers(1, 3 * CHUNK),
)
def test_round_trip_whatever_the_chunking(size, in_piece, out_piece):
    data = bytes(index % 251 for index in range(size))

    stream = encrypt(data, in_piece)

    assert len(stream) == files.encrypted_size(size)
    assert decrypt(stream, out_piece) == data


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(
    size=st.sampled_from([0, 1, 16_383, 16_385, CHUNK, 3 * CHUNK + 5, 1_000_003]), out_piece=st.integers(1, 3 * CHUNK)
)
def test_a_padded_stream_gives_back_the_file_alone_when_its_size_is_known(size, out_piece):
    data = bytes(index % 251 for index in range(size))

    stream = b"".join(files.encrypt_chunks(FILE_KEY, split(data, 10_000), WHERE, padded=True))

    assert len(stream) == files.encrypted_size(files.padded_size(size))
    assert b"".join(files.decrypt_chunks(FILE_KEY, split(stream, out_piece), WHERE, size)) == data
    assert decrypt(stream, out_piece) == data + bytes(files.padded_size(size) - size)


@given(size=st.integers(0, 2**40))
def test_the_padded_size_is_a_bucket_at_most_an_eighth_larger(size):
    padded = files.padded_size(size)

    assert padded >= size and padded >= files.MIN_PADDED_BYTES
    assert padded <= max(files.MIN_PADDED_BYTES, size * 9 // 8)
    assert files.padded_size(padded) == padded  # a bucket pads to itself
    significant_bits = (padded >> ((padded & -padded).bit_length() - 1)).bit_length()
    assert significant_bits <= (padded.bit_length() - 1).bit_length() + 1  # the size tells O(log log n) bits


SAMPLE = bytes(index % 253 for index in range(3 * CHUNK + 100))
SAMPLE_STREAM = encrypt(SAMPLE)


@given(cut=st.integers(0, len(SAMPLE_STREAM) - 1))
def test_a_truncated_stream_is_refused_wherever_it_is_cut(cut):
    with pytest.raises(DecryptionError):
        decrypt(SAMPLE_STREAM[:cut])


def test_a_stream_cut_exactly_after_a_full_frame_is_called_truncated():
    preamble, parts = frames(SAMPLE_STREAM)

    with pytest.raises(TruncatedStreamError):
        decrypt(preamble + b"".join(parts[:2]))


def test_reordered_frames_are_refused():
    preamble, parts = frames(SAMPLE_STREAM)

    with pytest.raises(DecryptionError):
        decrypt(preamble + parts[1] + parts[0] + b"".join(parts[2:]))


def test_a_dropped_middle_frame_is_refused():
    preamble, parts = frames(SAMPLE_STREAM)

    with pytest.raises(DecryptionError):
        decrypt(preamble + parts[0] + b"".join(parts[2:]))


def test_data_appended_after_the_final_frame_is_refused():
    with pytest.raises(DecryptionError):
        decrypt(SAMPLE_STREAM + b"\x00" * 20)


@settings(max_examples=60)
@given(position=st.integers(0, len(SAMPLE_STREAM) - 1), flip=st.integers(1, 255))
def test_any_altered_byte_is_refused(position, flip):
    altered = bytearray(SAMPLE_STREAM)
    altered[position] ^= flip

    with pytest.raises(DecryptionError):
        decrypt(bytes(altered))


def test_a_stream_moved_to_another_file_is_refused():
    with pytest.raises(DecryptionError):
        decrypt(SAMPLE_STREAM, where=files.file_context(bytes(16), "file-2"))


def test_a_file_key_is_wrapped_by_the_tip_key_and_bound_to_its_file():
    tip_key = bytes(range(1, 33))
    wrapped = files.wrap_file_key(tip_key, FILE_KEY, WHERE)

    assert files.unwrap_file_key(tip_key, wrapped, WHERE) == FILE_KEY
    with pytest.raises(DecryptionError):
        files.unwrap_file_key(tip_key, wrapped, files.file_context(bytes(16), "file-2"))
