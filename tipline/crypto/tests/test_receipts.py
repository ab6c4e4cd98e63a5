"""Receipts: typed by hand, read over the phone, typos told apart from unknown receipts."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tipline.crypto import receipts
from tipline.crypto.errors import ReceiptFormatError, ReceiptTypoError
from tipline.crypto.kdf import INSECURE_FAST_PARAMS

SALT = bytes(16)
random_parts = st.text(alphabet="0123456789", min_size=21, max_size=21)


def receipt_from(random_part: str) -> str:
    return random_part + receipts.check_digits(random_part)


def test_a_new_receipt_is_six_groups_of_four_digits_and_passes_its_checks():
    receipt = receipts.new_receipt()

    groups = receipt.split(" ")
    assert [len(group) for group in groups] == [4] * 6 and all(group.isdigit() for group in groups)
    assert receipts.normalise(receipt) == receipt.replace(" ", "")


def test_new_receipts_differ():
    assert len({receipts.new_receipt() for _ in range(200)}) == 200


def test_the_damm_digit_matches_the_published_example():
    # The Damm algorithm's worked example: 572 gets check digit 4.
    assert receipts.damm_check_digit("572") == "4"


@given(random_part=random_parts, position=st.integers(0, 23), replacement=st.integers(0, 9))
def test_any_single_wrong_digit_is_a_typo(random_part, position, replacement):
    receipt = receipt_from(random_part)
    if receipt[position] == str(replacement):
        return
    typo = receipt[:position] + str(replacement) + receipt[position + 1 :]

    with pytest.raises(ReceiptTypoError):
        receipts.normalise(typo)


@given(random_part=random_parts, position=st.integers(0, 22))
def test_any_swap_of_neighbouring_digits_is_a_typo(random_part, position):
    receipt = receipt_from(random_part)
    if receipt[position] == receipt[position + 1]:
        return
    swapped = receipt[:position] + receipt[position + 1] + receipt[position] + receipt[position + 2 :]

    with pytest.raises(ReceiptTypoError):
        receipts.normalise(swapped)


@given(random_part=random_parts)
def test_spacing_dashes_case_and_digit_script_do_not_matter(random_part):
    receipt = receipt_from(random_part)
    arabic_indic = receipt.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    fullwidth = receipt.translate(str.maketrans("0123456789", "０１２３４５６７８９"))

    for typed in (receipts.display(receipt), "-".join(receipt), f"  {receipt}\n", arabic_indic, fullwidth):
        assert receipts.normalise(typed) == receipt


def test_letter_o_and_letter_l_are_read_as_zero_and_one():
    receipt = receipt_from("100000000000000000001")

    assert receipts.normalise(receipt.replace("0", "O").replace("1", "l")) == receipt


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1234 5678", "A receipt has 24 digits; this has 8."),
        ("", "A receipt has 24 digits; this has 0."),
        ("1234 5678 9012 3456 7890 123X", "'X' is not one"),
    ],
)
def test_something_that_cannot_be_a_receipt_says_why(typed, message):
    with pytest.raises(ReceiptFormatError, match=message):
        receipts.normalise(typed)


def test_a_receipt_pasted_into_text_is_spotted_but_other_long_numbers_are_not():
    receipt = receipts.new_receipt()

    assert receipts.contains_receipt(f"my receipt is {receipt}, please keep it")
    assert receipts.contains_receipt(f"my receipt is {receipt.replace(' ', '-')}")
    assert not receipts.contains_receipt("account 1234 5678 9012 3456 7890 1230 and phone 0612345678")


def test_derivation_gives_a_lookup_id_and_a_wrapping_key_that_differ():
    keys = receipts.derive_receipt_keys(receipts.new_receipt(), SALT, INSECURE_FAST_PARAMS)

    assert len(keys.lookup_id) == len(keys.wrapping_key) == 32
    assert keys.lookup_id != keys.wrapping_key


def test_the_same_receipt_typed_differently_derives_the_same_keys():
    receipt = receipts.new_receipt()

    typed_once = receipts.derive_receipt_keys(receipt, SALT, INSECURE_FAST_PARAMS)
    typed_again = receipts.derive_receipt_keys(receipt.replace(" ", "-"), SALT, INSECURE_FAST_PARAMS)

    assert typed_once == typed_again


def test_the_lookup_tag_is_the_same_however_typed_and_differs_under_another_key():
    receipt, key = receipts.new_receipt(), bytes(range(32))

    tag = receipts.lookup_tag(receipt, key)

    assert len(tag) == receipts.LOOKUP_TAG_BYTES
    assert receipts.lookup_tag(receipt.replace(" ", "-"), key) == tag
    assert receipts.lookup_tag(receipt, bytes(32)) != tag
