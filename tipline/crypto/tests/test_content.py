"""Answers and messages: padded to buckets, bound to their tip and item."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tipline.crypto import content
from tipline.crypto.errors import DecryptionError

TIP_KEY = bytes(range(32, 64))
TIP_ID = bytes(16)


@given(text=st.text(max_size=3000))
def test_text_round_trip(text):
    where = content.content_context(TIP_ID, "message", 7)

    envelope = content.encrypt_content(TIP_KEY, text.encode(), where)

    assert content.decrypt_content(TIP_KEY, envelope, where).decode() == text


def test_json_answers_round_trip_with_non_ascii():
    answers = {"what": "Übergabe am Freitag", "when": "2026-12-04T06:00", "who": ["سامي", "Ana"]}
    where = content.content_context(TIP_ID, "answers")

    assert content.decrypt_json(TIP_KEY, content.encrypt_json(TIP_KEY, answers, where), where) == answers


@pytest.mark.parametrize(
    ("length", "bucket"), [(0, 256), (255, 256), (256, 1024), (4095, 4096), (65535, 65536), (65536, 131072)]
)
def test_lengths_are_padded_to_buckets(length, bucket):
    assert content.padded_length(length) == bucket
    assert len(content.pad(b"a" * length)) == bucket


@given(first=st.integers(0, 255), second=st.integers(0, 255))
def test_ciphertext_length_does_not_tell_short_answers_apart(first, second):
    where = content.content_context(TIP_ID, "answers")

    assert len(content.encrypt_content(TIP_KEY, b"y" * first, where)) == len(
        content.encrypt_content(TIP_KEY, b"n" * second, where)
    )


def test_an_answer_copied_to_another_tip_is_refused():
    envelope = content.encrypt_content(TIP_KEY, b"answer", content.content_context(TIP_ID, "answers"))

    with pytest.raises(DecryptionError):
        content.decrypt_content(TIP_KEY, envelope, content.content_context(b"\x01" * 16, "answers"))


@given(body=st.binary(max_size=200_000))
def test_padding_round_trip_including_large_blocks(body):
    assert content.unpad(content.pad(body)) == body
