"""base64url without padding: the one text form of keys, secrets and ciphertexts, shared by
the server (API, session cookies) and tipline-reader. Decoding takes it with or without
padding."""

import base64
from typing import overload


# memoryview: what a BinaryField holds on PostgreSQL.
@overload
def b64(data: bytes | memoryview) -> str: ...
@overload
def b64(data: None) -> None: ...
@overload
def b64(data: bytes | memoryview | None) -> str | None: ...
def b64(data: bytes | memoryview | None) -> str | None:
    return None if data is None else base64.urlsafe_b64encode(bytes(data)).rstrip(b"=").decode()


def from_b64(text: str) -> bytes:
    """Raises ValueError (binascii.Error) for what is not base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
