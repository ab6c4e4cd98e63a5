"""A tip's short reference, like T-7KQ4-M2XP: random, so it says nothing of how many tips came
before; easy to read aloud and type (no 0/O, no 1/I/L). Staff and the tipster both see it, so
they can name a tip to each other; it opens nothing and is not a secret."""

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8  # 31^8 ≈ 8.5e11: at 100,000 tips a repeat is rare, and then drawn again
TYPED = re.compile(rf"^T?-?([{ALPHABET}]{{4}})-?([{ALPHABET}]{{4}})$")


def new_reference(taken=lambda reference: False) -> str:
    while True:
        drawn = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        reference = f"T-{drawn[:4]}-{drawn[4:]}"
        if not taken(reference):
            return reference


def normalise(text: str) -> str | None:
    """A reference as someone typed it (any case, with or without T and dashes), or None."""
    compact = "".join(text.split()).upper()
    match = TYPED.match(compact)
    return f"T-{match.group(1)}-{match.group(2)}" if match else None
