"""Tipster receipts: 24 digits a person can copy by hand and read over the phone.

Layout: 21 random digits (69.7 bits), one Damm check digit (catches every single
wrong digit and every swap of neighbours), two digits of a keyed hash (catches 99 %
of other typos). Shown as six groups of four: `0482 1937 5520 8813 6409 7731`.

A receipt is never stored. One Argon2id evaluation with the site-wide salt turns it
into 64 bytes: the first half is the lookup id kept with the tip, the second half
the key that wraps the tip key for the tipster.

Beside it the tip keeps a short lookup tag: a keyed hash of the receipt under a key that is
not in the database (derived from the site's secret key file). A receipt whose tag no tip
has is refused without Argon2id; a stolen database without that key gives no cheaper test
of a guess than the Argon2id itself.
"""

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass

from tipline.crypto.errors import ReceiptFormatError, ReceiptTypoError
from tipline.crypto.kdf import KdfParams

RANDOM_DIGITS = 21
RECEIPT_DIGITS = 24
GROUP_SIZE = 4
LOOKUP_ID_BYTES = 32
# Enough to refuse nearly every unknown receipt cheaply (with 100,000 tips, 1 guess in 170
# reaches Argon2id), few enough that even someone holding the key and the database still
# needs about 2**46 Argon2id evaluations (2**70 receipts / 2**24 tags) per receipt found.
LOOKUP_TAG_BYTES = 3
SEPARATORS = set(" -._/\u00a0\t\r\n")
LOOKALIKES = {"o": "0", "O": "0", "l": "1", "I": "1"}
# Any 24 digits, optionally grouped by spaces or dashes: to spot receipts pasted into text.
CANDIDATE_PATTERN = re.compile(r"(?<!\d)(?:\d[ \-]?){23}\d(?!\d)")

# The Damm algorithm's quasigroup of order 10 (weakly totally anti-symmetric).
DAMM_TABLE = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


@dataclass(frozen=True)
class ReceiptKeys:
    lookup_id: bytes  # stored with the tip
    wrapping_key: bytes  # never stored: wraps the tip key for the tipster


def damm_check_digit(digits: str) -> str:
    interim = 0
    for digit in digits:
        interim = DAMM_TABLE[interim][int(digit)]
    return str(interim)


def hash_check_digits(digits: str) -> str:
    digest = hashlib.blake2b(digits.encode(), digest_size=8, person=b"tipline-receipt").digest()
    return f"{int.from_bytes(digest, 'big') % 100:02d}"


def check_digits(random_part: str) -> str:
    return damm_check_digit(random_part) + hash_check_digits(random_part)


def new_receipt() -> str:
    """A fresh receipt, grouped for display."""
    random_part = "".join(secrets.choice("0123456789") for _ in range(RANDOM_DIGITS))
    return display(random_part + check_digits(random_part))


def display(digits: str) -> str:
    return " ".join(digits[start : start + GROUP_SIZE] for start in range(0, len(digits), GROUP_SIZE))


def normalise(typed: str) -> str:
    """The receipt's 24 ASCII digits, whatever spacing, dashes or digit script was used.

    Raises ReceiptFormatError when it cannot be a receipt, ReceiptTypoError when the
    check digits show a typo.
    """
    digits = []
    for character in unicodedata.normalize("NFKC", typed):
        if character in SEPARATORS:
            continue
        character = LOOKALIKES.get(character, character)
        value = unicodedata.decimal(character, None)
        if value is None:
            raise ReceiptFormatError(f"A receipt has only digits; {character!r} is not one.", character=character)
        digits.append(str(value))
    canonical = "".join(digits)
    if len(canonical) != RECEIPT_DIGITS:
        raise ReceiptFormatError(
            f"A receipt has {RECEIPT_DIGITS} digits; this has {len(canonical)}.",
            expected=RECEIPT_DIGITS,
            found=len(canonical),
        )
    if canonical[RANDOM_DIGITS:] != check_digits(canonical[:RANDOM_DIGITS]):
        raise ReceiptTypoError("This receipt has a typo: one or more digits are wrong or swapped.")
    return canonical


def contains_receipt(text: str) -> bool:
    """True when the text holds something that passes a receipt's checks (e.g. a pasted receipt)."""
    for candidate in CANDIDATE_PATTERN.findall(text):
        digits = re.sub(r"\D", "", candidate)
        if digits[RANDOM_DIGITS:] == check_digits(digits[:RANDOM_DIGITS]):
            return True
    return False


def derive_receipt_keys(typed: str, site_salt: bytes, params: KdfParams) -> ReceiptKeys:
    """One Argon2id evaluation: lookup id and wrapping key. Raises as `normalise` does."""
    material = params.derive(normalise(typed).encode(), site_salt, size=2 * LOOKUP_ID_BYTES)
    return ReceiptKeys(lookup_id=material[:LOOKUP_ID_BYTES], wrapping_key=material[LOOKUP_ID_BYTES:])


def lookup_tag(typed: str, tag_key: bytes) -> bytes:
    """The receipt's short keyed tag, kept with its tip. Raises as `normalise` does."""
    return hashlib.blake2b(
        normalise(typed).encode(), key=tag_key, digest_size=LOOKUP_TAG_BYTES, person=b"tipline-rtag"
    ).digest()
