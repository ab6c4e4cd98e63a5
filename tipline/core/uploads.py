"""What an upload is to the domain: a handle on a blob encrypted as it arrived
(EncryptedUpload), never the bytes. The streaming handler that makes them is web plumbing
(tipline.web.uploads): no plaintext byte of a file ever reaches the disk. Each file gets a fresh
file key held in memory; the service wraps it with the tip key once the tip exists, or the
blob is deleted (and with its key gone, it was unreadable anyway).
"""

from django.core.files.uploadedfile import UploadedFile

from tipline.core import blobs
from tipline.crypto import files


class EncryptedUpload(UploadedFile):
    """What a view receives in request.FILES: a handle on an encrypted blob, not the bytes."""

    name: str
    size: int

    def __init__(self, name: str, content_type: str, blob_name: str, file_key: bytes, size: int, head: bytes):
        super().__init__(file=None, name=name, content_type=content_type, size=size)
        self.blob_name = blob_name
        self.file_key = file_key
        self.head = head  # the first bytes, kept in memory to recognise the file type

    def plaintext_chunks(self):
        return files.decrypt_chunks(
            self.file_key, blobs.read_chunks(self.blob_name), files.blob_context(self.blob_name), self.size
        )

    def discard(self) -> None:
        blobs.delete(self.blob_name)

    def read_and_discard(self, max_bytes: int) -> bytes:
        """For small uploads that are settings, not evidence (a channel file): the plaintext,
        in memory only; the encrypted blob is deleted."""
        try:
            if self.size > max_bytes:
                raise UploadRefused(f"“{self.name}” is larger than {human_size(max_bytes)}.")
            return b"".join(self.plaintext_chunks())
        finally:
            self.discard()


class UploadRefused(Exception):
    """Raised (through the view) when an upload broke a limit; `reason` says which."""


def human_size(byte_count: int) -> str:
    if byte_count < 1024 * 1024:
        return f"{byte_count / 1024:.0f} KiB"
    if byte_count < 1024**3:
        return f"{byte_count / 1024**2:.0f} MiB"
    return f"{byte_count / 1024**3:.1f} GiB".replace(".0 GiB", " GiB")
