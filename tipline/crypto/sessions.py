"""Key material carried by a signed-in session, split between cookie and database.

After sign-in, the opened private key (or, for a tipster, the tip key) is encrypted
under a fresh random secret. The ciphertext goes into the session row; the secret
goes only into the browser's cookie. The row alone or the cookie alone opens nothing.
"""

import binascii
from dataclasses import dataclass

from tipline.crypto import aead
from tipline.crypto.encoding import b64, from_b64
from tipline.crypto.errors import DecryptionError


@dataclass(frozen=True)
class SessionSeal:
    cookie_secret: str  # for the cookie only, never stored on the server
    ciphertext: bytes  # for the session row


def seal_for_session(material: bytes, where: bytes) -> SessionSeal:
    secret = aead.new_key()
    ciphertext = aead.encrypt(secret, material, aead.Purpose.SESSION_MATERIAL, where)
    return SessionSeal(cookie_secret=b64(secret), ciphertext=ciphertext)


def open_from_session(cookie_secret: str, ciphertext: bytes, where: bytes) -> bytes:
    try:
        secret = from_b64(cookie_secret)
    except (binascii.Error, ValueError):
        raise DecryptionError("The session cookie is damaged.") from None
    if len(secret) != aead.KEY_BYTES:
        raise DecryptionError("The session cookie is damaged.")
    return aead.decrypt(secret, ciphertext, aead.Purpose.SESSION_MATERIAL, where)
