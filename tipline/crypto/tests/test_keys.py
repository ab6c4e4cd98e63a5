"""Recipient key pairs, tip keys sealed to recipients and wrapped for tipsters, session seals."""

import pytest

from tipline.crypto import recipient_keys, sessions, tip_keys
from tipline.crypto.errors import DecryptionError, RecoveryCodeFormatError, WrongPasswordError
from tipline.crypto.kdf import INSECURE_FAST_PARAMS, KdfParams

OWNER = b"user:42"
TIP_ID = bytes(range(16))
OTHER_TIP_ID = bytes(range(1, 17))


@pytest.fixture
def pair():
    return recipient_keys.generate_key_pair()


def test_a_private_key_wrapped_under_a_password_opens_with_it_only(pair):
    wrapped = recipient_keys.wrap_with_password(pair.private_key, "correct horse battery", INSECURE_FAST_PARAMS, OWNER)

    assert recipient_keys.unwrap_with_password(wrapped, "correct horse battery", OWNER) == pair.private_key
    with pytest.raises(WrongPasswordError):
        recipient_keys.unwrap_with_password(wrapped, "correct horse batterY", OWNER)
    with pytest.raises(WrongPasswordError):
        recipient_keys.unwrap_with_password(wrapped, "correct horse battery", b"user:43")


def test_the_parameters_travel_with_the_wrap_so_they_can_be_raised_later(pair):
    stronger = KdfParams(opslimit=2, memlimit=16 * 1024)
    old = recipient_keys.wrap_with_password(pair.private_key, "pw-one-two-three", INSECURE_FAST_PARAMS, OWNER)

    upgraded = recipient_keys.rewrap_with_new_password(old, "pw-one-two-three", "pw-one-two-three", stronger, OWNER)

    assert recipient_keys.wrapped_with_params(old) == INSECURE_FAST_PARAMS
    assert recipient_keys.wrapped_with_params(upgraded) == stronger
    assert recipient_keys.unwrap_with_password(upgraded, "pw-one-two-three", OWNER) == pair.private_key


def test_a_password_change_rewraps_and_the_old_password_stops_working(pair):
    old = recipient_keys.wrap_with_password(pair.private_key, "old password 1", INSECURE_FAST_PARAMS, OWNER)

    new = recipient_keys.rewrap_with_new_password(old, "old password 1", "new password 2", INSECURE_FAST_PARAMS, OWNER)

    assert recipient_keys.unwrap_with_password(new, "new password 2", OWNER) == pair.private_key
    with pytest.raises(WrongPasswordError):
        recipient_keys.unwrap_with_password(new, "old password 1", OWNER)


def test_the_recovery_code_is_human_copyable_and_opens_the_second_wrap(pair):
    code = recipient_keys.new_recovery_code()
    wrapped = recipient_keys.wrap_with_recovery_code(pair.private_key, code, OWNER)

    assert [len(group) for group in code.split("-")] == [4] * 8
    assert not set(code) & set("ILOU")
    typed_sloppily = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert recipient_keys.unwrap_with_recovery_code(wrapped, typed_sloppily, OWNER) == pair.private_key
    with pytest.raises(WrongPasswordError):
        recipient_keys.unwrap_with_recovery_code(wrapped, recipient_keys.new_recovery_code(), OWNER)
    with pytest.raises(RecoveryCodeFormatError):
        recipient_keys.unwrap_with_recovery_code(wrapped, "ABCD", OWNER)


def test_a_tip_key_sealed_to_each_recipient_opens_for_each_and_no_one_else(pair):
    second = recipient_keys.generate_key_pair()
    outsider = recipient_keys.generate_key_pair()
    tip_key = tip_keys.new_tip_key()

    sealed = tip_keys.seal_for_recipients(tip_key, TIP_ID, [pair.public_key, second.public_key])

    assert tip_keys.open_sealed_tip_key(sealed[pair.public_key], TIP_ID, pair.private_key) == tip_key
    assert tip_keys.open_sealed_tip_key(sealed[second.public_key], TIP_ID, second.private_key) == tip_key
    with pytest.raises(DecryptionError):
        tip_keys.open_sealed_tip_key(sealed[pair.public_key], TIP_ID, outsider.private_key)


def test_a_sealed_tip_key_moved_to_another_tip_is_refused(pair):
    sealed = tip_keys.seal_tip_key(tip_keys.new_tip_key(), TIP_ID, pair.public_key)

    with pytest.raises(DecryptionError, match="another tip"):
        tip_keys.open_sealed_tip_key(sealed, OTHER_TIP_ID, pair.private_key)


def test_granting_access_reseals_an_opened_tip_key_to_a_new_recipient(pair):
    newcomer = recipient_keys.generate_key_pair()
    tip_key = tip_keys.new_tip_key()
    opened = tip_keys.open_sealed_tip_key(
        tip_keys.seal_tip_key(tip_key, TIP_ID, pair.public_key), TIP_ID, pair.private_key
    )

    granted = tip_keys.seal_tip_key(opened, TIP_ID, newcomer.public_key)

    assert tip_keys.open_sealed_tip_key(granted, TIP_ID, newcomer.private_key) == tip_key


def test_the_tipster_wrap_opens_with_the_receipt_key_of_that_tip_only():
    tip_key, receipt_key = tip_keys.new_tip_key(), bytes(range(32))

    wrapped = tip_keys.wrap_for_tipster(tip_key, receipt_key, TIP_ID)

    assert tip_keys.unwrap_for_tipster(wrapped, receipt_key, TIP_ID) == tip_key
    with pytest.raises(DecryptionError):
        tip_keys.unwrap_for_tipster(wrapped, receipt_key, OTHER_TIP_ID)
    with pytest.raises(DecryptionError):
        tip_keys.unwrap_for_tipster(wrapped, bytes(32), TIP_ID)


def test_session_material_needs_both_the_cookie_and_the_row(pair):
    seal = sessions.seal_for_session(pair.private_key, b"recipient:42")
    other = sessions.seal_for_session(pair.private_key, b"recipient:42")

    assert sessions.open_from_session(seal.cookie_secret, seal.ciphertext, b"recipient:42") == pair.private_key
    assert pair.private_key not in seal.ciphertext and seal.cookie_secret.encode() not in seal.ciphertext
    with pytest.raises(DecryptionError):
        sessions.open_from_session(other.cookie_secret, seal.ciphertext, b"recipient:42")
    with pytest.raises(DecryptionError):
        sessions.open_from_session(seal.cookie_secret, seal.ciphertext, b"recipient:43")
    with pytest.raises(DecryptionError, match="damaged"):
        sessions.open_from_session("not base64!", seal.ciphertext, b"recipient:42")
