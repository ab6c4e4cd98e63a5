"""The backup archive key: wrapped under a passphrase or sealed to a public key; only the
right passphrase or private key gives it back."""

import io

import pytest

from tipline.crypto import backups, kdf
from tipline.crypto.errors import DecryptionError, UnsupportedFormatError

PARAMS = kdf.INSECURE_FAST_PARAMS


def test_a_passphrase_header_opens_with_that_passphrase_only():
    key = backups.new_archive_key()
    header = backups.header_for_passphrase(key, b"correct horse battery staple", PARAMS)

    assert backups.open_header(io.BytesIO(header + b"stream").read, passphrase=b"correct horse battery staple") == key
    with pytest.raises(DecryptionError, match="passphrase does not open"):
        backups.open_header(io.BytesIO(header).read, passphrase=b"wrong horse battery staple")


def test_a_public_key_header_opens_with_its_private_key_only():
    public_line, private_line = backups.new_key_pair()
    public = backups.read_key(public_line, backups.PUBLIC_KEY_PREFIX)
    private = backups.read_key(private_line, backups.PRIVATE_KEY_PREFIX)
    other = backups.read_key(backups.new_key_pair()[1], backups.PRIVATE_KEY_PREFIX)
    key = backups.new_archive_key()
    header = backups.header_for_public_key(key, public)

    assert backups.open_header(io.BytesIO(header).read, private_key=private) == key
    with pytest.raises(DecryptionError, match="private key does not open"):
        backups.open_header(io.BytesIO(header).read, private_key=other)
    with pytest.raises(DecryptionError, match="give --key"):
        backups.open_header(io.BytesIO(header).read, passphrase=b"x" * 20)
    assert key not in header


def test_a_plain_tar_is_not_taken_for_an_encrypted_backup():
    with pytest.raises(UnsupportedFormatError):
        backups.open_header(io.BytesIO(b"database.json" + bytes(500)).read, passphrase=b"x" * 20)


def test_key_files_are_read_strictly():
    with pytest.raises(ValueError):
        backups.read_key("tipline-backup-public-key:bm90IDMyIGJ5dGVz", backups.PUBLIC_KEY_PREFIX)
    with pytest.raises(ValueError):
        backups.read_key(
            backups.new_key_pair()[0], backups.PRIVATE_KEY_PREFIX
        )  # a public key where a private one belongs
