"""Exceptions raised by tipline.crypto; callers map them to messages a person can act on."""


class CryptoError(Exception):
    """Base class: something could not be decrypted, verified or parsed."""


class DecryptionError(CryptoError):
    """The key is wrong, or the ciphertext or its associated data was altered."""


class UnsupportedFormatError(DecryptionError):
    """The data was written in a format version this code does not know."""


class WrongPasswordError(DecryptionError):
    """The password (or recovery code) does not open this key."""


class TruncatedStreamError(DecryptionError):
    """An encrypted file ended before its final chunk."""


class ReceiptFormatError(CryptoError):
    """What was typed cannot be a receipt (wrong length or characters). The attributes say
    which, so that callers can word the message in the reader's language."""

    def __init__(self, message: str, character: str | None = None, expected: int = 0, found: int = 0):
        super().__init__(message)
        self.character, self.expected, self.found = character, expected, found


class ReceiptTypoError(CryptoError):
    """What was typed looks like a receipt, but its check digits do not match: a typo."""


class RecoveryCodeFormatError(CryptoError):
    """What was typed cannot be a recovery code."""
