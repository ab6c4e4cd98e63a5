"""Secrets of a recipient's account (the TOTP seed) encrypted under a key derived from
their private key, which itself opens only with their password: a database thief gets
no working second factor, unlike peers that store TOTP seeds in clear."""

import hashlib

from tipline.crypto import aead


def _key(private_key: bytes) -> bytes:
    return hashlib.blake2b(bytes(private_key), digest_size=aead.KEY_BYTES, person=b"tipline-account").digest()


def seal_account_secret(private_key: bytes, secret: bytes, owner: bytes, name: str) -> bytes:
    return aead.encrypt(_key(private_key), secret, aead.Purpose.ACCOUNT_SECRET, aead.context(owner, name))


def open_account_secret(private_key: bytes, sealed: bytes, owner: bytes, name: str) -> bytes:
    return aead.decrypt(_key(private_key), sealed, aead.Purpose.ACCOUNT_SECRET, aead.context(owner, name))
