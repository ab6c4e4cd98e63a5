"""Attachments encrypted as streams (secretstream XChaCha20-Poly1305) in fixed chunks.

Each file has its own random key, wrapped by the tip key. The stream is
`version || secretstream header || frames`, each frame a 64 KiB plaintext chunk plus
its 17-byte tag; the last frame carries the FINAL tag. Memory stays flat whatever
the file size, and a truncated, reordered, spliced or altered stream is refused.

Stored files are padded: zero bytes follow the file inside the stream, up to a size
bucket (Padmé, from the PURBs paper: at most about 12% more, and the size then tells
only O(log log n) bits), so a blob's length does not identify a known document. The
exact size lives in the file's encrypted metadata; decryption stops there.
"""

import itertools
from collections.abc import Callable, Iterable, Iterator

import nacl.bindings as sodium
import nacl.exceptions

from tipline.crypto import aead
from tipline.crypto.errors import DecryptionError, TruncatedStreamError, UnsupportedFormatError

STREAM_FORMAT_VERSION = 1
CHUNK_BYTES = 64 * 1024
HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
TAG_BYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
FRAME_BYTES = CHUNK_BYTES + TAG_BYTES
MIN_PADDED_BYTES = 16 * 1024
PREAMBLE_BYTES = 1 + HEADER_BYTES
TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


def new_file_key() -> bytes:
    return sodium.crypto_secretstream_xchacha20poly1305_keygen()


def file_context(tip_id: bytes, file_id: str) -> bytes:
    """Where a file key is wrapped: the tip and the attachment it belongs to."""
    return aead.context(tip_id, "file", file_id)


def blob_context(blob_name: str) -> bytes:
    """What a file stream is bound to: the blob it is stored as (the tip is not known yet
    while an upload streams in; the wrapped file key ties the blob to its tip)."""
    return aead.context("blob", blob_name)


def wrap_file_key(tip_key: bytes, file_key: bytes, where: bytes) -> bytes:
    return aead.encrypt(tip_key, file_key, aead.Purpose.FILE_KEY, where)


def unwrap_file_key(tip_key: bytes, wrapped: bytes, where: bytes) -> bytes:
    return aead.decrypt(tip_key, wrapped, aead.Purpose.FILE_KEY, where)


def encrypted_size(plaintext_size: int) -> int:
    frames = max(1, -(-plaintext_size // CHUNK_BYTES))  # a full last chunk is the final frame itself
    return PREAMBLE_BYTES + plaintext_size + frames * TAG_BYTES


def padded_size(size: int) -> int:
    """Padmé: round up so that only the top log2(log2(size)) + 1 bits of the size remain."""
    size = max(size, MIN_PADDED_BYTES)
    exponent = size.bit_length() - 1
    dropped_bits = exponent - exponent.bit_length()
    mask = (1 << dropped_bits) - 1
    return (size + mask) & ~mask


def _frame_associated_data(where: bytes) -> bytes:
    return aead.associated_data(STREAM_FORMAT_VERSION, aead.Purpose.FILE_STREAM, where)


class FileEncryptor:
    """Feed plaintext in pieces of any size with `update`, then take `finish_pieces` once.
    `padded`: zero bytes are added at the end, up to padded_size."""

    def __init__(self, file_key: bytes, where: bytes, padded: bool = False):
        self._padded = padded
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        header = sodium.crypto_secretstream_xchacha20poly1305_init_push(self._state, bytes(file_key))
        self._associated_data = _frame_associated_data(where)
        self._pending = bytearray()
        self._output = bytearray([STREAM_FORMAT_VERSION]) + header
        self.plaintext_bytes = 0

    def update(self, data: bytes) -> bytes:
        self.plaintext_bytes += len(data)
        return self._append(data)

    def finish_pieces(self) -> Iterator[bytes]:
        """The rest of the stream: the padding a chunk at a time (memory stays flat), then
        the final frame."""
        padding = padded_size(self.plaintext_bytes) - self.plaintext_bytes if self._padded else 0
        while padding:
            piece = min(padding, CHUNK_BYTES)
            padding -= piece
            yield self._append(bytes(piece))
        self._push(self._pending, TAG_FINAL)
        self._pending.clear()
        yield self._take_output()

    def _append(self, data: bytes) -> bytes:
        self._pending += data
        # Keep the last (possibly full) chunk back: only `finish` knows it is the last.
        while len(self._pending) > CHUNK_BYTES:
            self._push(self._pending[:CHUNK_BYTES], TAG_MESSAGE)
            del self._pending[:CHUNK_BYTES]
        return self._take_output()

    def _push(self, chunk: bytes | bytearray, tag: int) -> None:
        self._output += sodium.crypto_secretstream_xchacha20poly1305_push(
            self._state, bytes(chunk), self._associated_data, tag
        )

    def _take_output(self) -> bytes:
        output, self._output = bytes(self._output), bytearray()
        return output


class FileDecryptor:
    """Feed ciphertext in pieces of any size with `update`, then `finish` to confirm the end."""

    def __init__(self, file_key: bytes, where: bytes):
        self._key = bytes(file_key)
        self._associated_data = _frame_associated_data(where)
        self._state: sodium.crypto_secretstream_xchacha20poly1305_state | None = None
        self._pending = bytearray()
        self._finished = False

    def update(self, data: bytes) -> bytes:
        self._pending += data
        if self._state is None and len(self._pending) >= PREAMBLE_BYTES:
            self._start()
        output = bytearray()
        # A full frame may be the last one; any byte after a FINAL frame is refused.
        while self._state is not None and len(self._pending) >= FRAME_BYTES:
            output += self._pull(self._pending[:FRAME_BYTES])
            del self._pending[:FRAME_BYTES]
        return bytes(output)

    def finish(self) -> bytes:
        if self._state is None:
            raise TruncatedStreamError("The encrypted file ends before its header.")
        output = self._pull(self._pending) if self._pending else b""
        self._pending.clear()
        if not self._finished:
            raise TruncatedStreamError("The encrypted file ends before its final chunk.")
        return output

    def _start(self) -> None:
        if self._pending[0] != STREAM_FORMAT_VERSION:
            raise UnsupportedFormatError(f"Unknown file stream version {self._pending[0]}.")
        state = sodium.crypto_secretstream_xchacha20poly1305_state()
        header = bytes(self._pending[1:PREAMBLE_BYTES])
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, self._key)
        self._state = state
        del self._pending[:PREAMBLE_BYTES]

    def _pull(self, frame: bytes | bytearray) -> bytes:
        if self._finished:
            raise DecryptionError("The encrypted file has data after its final chunk.")
        if self._state is None:  # update and finish start the stream before any frame
            raise TruncatedStreamError("The encrypted file ends before its header.")
        try:
            chunk, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(
                self._state, bytes(frame), self._associated_data
            )
        except nacl.exceptions.CryptoError:
            raise DecryptionError("A chunk of the encrypted file is altered, missing or out of order.") from None
        self._finished = tag == TAG_FINAL
        return chunk


def encrypt_chunks(file_key: bytes, chunks: Iterable[bytes], where: bytes, padded: bool = False) -> Iterator[bytes]:
    encryptor = FileEncryptor(file_key, where, padded)
    for chunk in chunks:
        if output := encryptor.update(chunk):
            yield output
    yield from encryptor.finish_pieces()


def decrypt_chunks(file_key: bytes, chunks: Iterable[bytes], where: bytes, size: int | None = None) -> Iterator[bytes]:
    """Plaintext as it is verified; the caller must not trust it until iteration ends cleanly.
    `size`: the file's own size; what follows it in the stream is padding, read (so that the
    whole stream is verified) but not returned."""
    decryptor = FileDecryptor(file_key, where)
    remaining = size
    for output in itertools.chain((decryptor.update(chunk) for chunk in chunks), _later(decryptor.finish)):
        if remaining is not None:
            output, remaining = output[:remaining], remaining - min(remaining, len(output))
        if output:
            yield output


def _later(make_last: Callable[[], bytes]) -> Iterator[bytes]:
    yield make_last()
