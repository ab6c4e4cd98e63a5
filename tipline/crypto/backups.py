"""Backup archives encrypted as a whole. A random archive key encrypts the archive as one
secretstream (crypto.files); the archive's header carries that key either wrapped under a
passphrase (Argon2id) or sealed to an X25519 public key, whose private half need never be
on the server or the backup host.

    MAGIC || mode || (params || salt || wrapped key) or (sealed key) || stream

Each archive's manifest (which holds every file's SHA-256) is signed with Ed25519 under a
key derived from the instance's secret key file, so that a restore accepts only archives
this instance, or the signer its operator names, made.
"""

import base64
import struct
from collections.abc import Callable

import nacl.bindings as sodium
import nacl.exceptions
import nacl.signing

from tipline.crypto import aead, files, kdf
from tipline.crypto.errors import DecryptionError, UnsupportedFormatError

MAGIC = b"TIPLINE-BACKUP\x00\x01"
BY_PASSPHRASE, TO_PUBLIC_KEY = 1, 2
PUBLIC_KEY_PREFIX, PRIVATE_KEY_PREFIX = "tipline-backup-public-key:", "tipline-backup-private-key:"
SIGNER_PREFIX = "tipline-backup-signer:"
_SIGNED_AS = b"tipline-backup-manifest\x00"
_LENGTH = struct.Struct(">H")
WHERE = aead.context("backup")


def new_archive_key() -> bytes:
    return files.new_file_key()


def header_for_passphrase(archive_key: bytes, passphrase: bytes, params: kdf.KdfParams) -> bytes:
    salt = kdf.new_salt()
    wrapped = aead.encrypt(params.derive(passphrase, salt), archive_key, aead.Purpose.BACKUP_KEY, WHERE)
    return MAGIC + bytes([BY_PASSPHRASE]) + params.encode() + salt + _LENGTH.pack(len(wrapped)) + wrapped


def header_for_public_key(archive_key: bytes, public_key: bytes) -> bytes:
    sealed = sodium.crypto_box_seal(archive_key, public_key)
    return MAGIC + bytes([TO_PUBLIC_KEY]) + _LENGTH.pack(len(sealed)) + sealed


def open_header(
    read: Callable[[int], bytes], passphrase: bytes | None = None, private_key: bytes | None = None
) -> bytes:
    """The archive key, from the header `read` gives (the stream follows it). Raises
    UnsupportedFormatError (not an encrypted backup) or DecryptionError (wrong key or passphrase)."""
    if read(len(MAGIC)) != MAGIC:
        raise UnsupportedFormatError("This is not an encrypted Tipline backup.")
    mode = read(1)
    if mode == bytes([BY_PASSPHRASE]):
        if passphrase is None:
            raise DecryptionError("This backup is encrypted to a passphrase: give --passphrase-file.")
        params = kdf.KdfParams.decode(read(kdf.HEADER_BYTES))
        salt = read(kdf.SALT_BYTES)
        wrapped = read(_LENGTH.unpack(read(_LENGTH.size))[0])
        try:
            return aead.decrypt(params.derive(passphrase, salt), wrapped, aead.Purpose.BACKUP_KEY, WHERE)
        except DecryptionError:
            raise DecryptionError("The passphrase does not open this backup.") from None
    if mode == bytes([TO_PUBLIC_KEY]):
        if private_key is None:
            raise DecryptionError("This backup is encrypted to a public key: give --key with its private key file.")
        sealed = read(_LENGTH.unpack(read(_LENGTH.size))[0])
        public_key = sodium.crypto_scalarmult_base(private_key)
        try:
            return sodium.crypto_box_seal_open(sealed, public_key, private_key)
        except nacl.exceptions.CryptoError:
            raise DecryptionError("This private key does not open this backup.") from None
    raise UnsupportedFormatError("This backup's encryption is of a kind this version does not read.")


def new_key_pair() -> tuple[str, str]:
    """(public key line, private key line) of a new X25519 key pair, as written to files."""
    public, private = sodium.crypto_box_keypair()
    return PUBLIC_KEY_PREFIX + base64.b64encode(public).decode(), PRIVATE_KEY_PREFIX + base64.b64encode(
        private
    ).decode()


def read_key(text: str, prefix: str) -> bytes:
    """The 32-byte key of a key file's line; ValueError when it is not one."""
    line = text.strip()
    if not line.startswith(prefix):
        raise ValueError(f"not a line starting with {prefix}")
    key = base64.b64decode(line.removeprefix(prefix), validate=True)
    if len(key) != sodium.crypto_box_PUBLICKEYBYTES:
        raise ValueError("not 32 bytes")
    return key


def signer_line(seed: bytes) -> str:
    """The public half of the signing key made from `seed` (32 bytes), as `tipline backup` prints it."""
    return SIGNER_PREFIX + base64.b64encode(bytes(nacl.signing.SigningKey(seed).verify_key)).decode()


def sign_manifest(seed: bytes, manifest: bytes) -> bytes:
    return nacl.signing.SigningKey(seed).sign(_SIGNED_AS + manifest).signature


def verify_manifest(signer: str, manifest: bytes, signature: bytes) -> None:
    """Raises DecryptionError unless `signature` is the signer's over this manifest."""
    try:
        key = base64.b64decode(signer.strip().removeprefix(SIGNER_PREFIX), validate=True)
        nacl.signing.VerifyKey(key).verify(_SIGNED_AS + manifest, signature)
    except (ValueError, nacl.exceptions.CryptoError):
        raise DecryptionError("The archive's signature does not verify.") from None
