"""Removing hidden details (EXIF, XMP, document info) from images and PDFs before they are
stored, and saying plainly what was cleaned and what could not be.

Runs in memory only (files up to TIPLINE_MAX_CLEANABLE_BYTES): a cleaned copy is
re-encrypted; nothing plaintext touches the disk. Decoders are where a small hostile file
costs the most (a few hundred KB can decode to gigabytes), so each cleaning runs in a child
process with a time and memory limit, a few at a time per server process, and images are
measured from their header before any pixel is decoded. A note never contains a newline.
"""

import io
import resource
import subprocess
import sys
import threading
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

KIND_BY_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"%PDF-", "PDF"),
)


@dataclass(frozen=True)
class Cleaning:
    data: bytes | None  # the cleaned file, or None when it is kept as sent
    note: str  # what the tipster is told about this file


def recognise(head: bytes) -> str | None:
    """JPEG, PNG, WebP or PDF from the file's first bytes (never from its name)."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return next((kind for magic, kind in KIND_BY_MAGIC if head.startswith(magic)), None)


@dataclass(frozen=True)
class Limits:
    seconds: float  # wall-clock time for one file, child process included
    max_pixels: int  # an image with more is not decoded
    memory_bytes: int  # address space of the child process
    parallel: int  # cleanings at once in one server process


def gettext_noop(message: str) -> str:
    """Marks a note for translation (it is translated when shown), without importing Django:
    cleaning children start from a process that has no settings."""
    return message


TOO_SLOW = gettext_noop("took too long to clean; it is stored as sent")
TOO_MANY_PIXELS = gettext_noop("too many pixels to clean; it is stored as sent")
CLEANER_FAILED = gettext_noop("could not be cleaned (the cleaner ran out of memory or stopped); it is stored as sent")

_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def clean_within(data: bytes, kind: str, limits: Limits) -> Cleaning:
    """Clean in a child process that is killed when it passes `limits`; waits for a free slot.

    The child is a fresh interpreter (not a fork of the threaded server) that reads the file
    from a pipe and writes the cleaned copy to another: nothing reaches the disk.
    """
    command = [sys.executable, "-m", __name__, kind, str(limits.max_pixels), str(limits.memory_bytes)]
    with _slots_for(limits.parallel):
        try:
            child = subprocess.run(command, input=data, capture_output=True, timeout=limits.seconds, check=False)
        except subprocess.TimeoutExpired:  # subprocess.run has killed it
            return Cleaning(None, TOO_SLOW)
    if child.returncode != 0:  # memory limit, signal, a decoder's crash
        return Cleaning(None, CLEANER_FAILED)
    outcome, note, cleaned = child.stdout.split(b"\n", 2)
    return Cleaning(cleaned if outcome == b"cleaned" else None, note.decode())


def _slots_for(parallel: int) -> threading.BoundedSemaphore:
    with _slots_lock:
        return _slots.setdefault(parallel, threading.BoundedSemaphore(parallel))


def _clean_in_child(kind: str, max_pixels: int, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    cleaning = clean(sys.stdin.buffer.read(), kind, max_pixels)
    outcome = b"cleaned" if cleaning.data is not None else b"kept"
    sys.stdout.buffer.write(outcome + b"\n" + cleaning.note.encode() + b"\n" + (cleaning.data or b""))


def clean(data: bytes, kind: str, max_pixels: int) -> Cleaning:
    """Clean in this process, without a time limit: call clean_within from request code."""
    try:
        cleaned = _clean_pdf(data) if kind == "PDF" else _clean_image(data, kind, max_pixels)
    except _TooManyPixels:
        return Cleaning(None, TOO_MANY_PIXELS)
    except _CannotClean as reason:
        return Cleaning(None, f"could not be cleaned ({reason}); it is stored as sent")
    # Notes are stored in English inside the file's encrypted metadata and translated when shown.
    return Cleaning(cleaned, gettext_noop("hidden details such as location, device and author were removed"))


class _CannotClean(Exception):
    pass


class _TooManyPixels(Exception):
    pass


def _clean_image(data: bytes, kind: str, max_pixels: int) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            if image.format != kind:
                raise _CannotClean(f"it is not really a {kind} image")
            if image.width * image.height > max_pixels:
                raise _TooManyPixels()
            if getattr(image, "is_animated", False):
                raise _CannotClean("animated images are not cleaned")
            image.load()
            upright = ImageOps.exif_transpose(image)  # keep the picture the right way up
            upright.info = {}  # drop EXIF, XMP, comments, text chunks and the ICC profile
            output = io.BytesIO()
            options = {"quality": 95} if kind in ("JPEG", "WEBP") else {}
            upright.save(output, format=kind, **options)
            return output.getvalue()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as error:
        raise _CannotClean(f"the image could not be read: {error.__class__.__name__}") from None


def _clean_pdf(data: bytes) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise _CannotClean("the PDF is password-protected")
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None
        writer.xmp_metadata = None
        for page in writer.pages:
            page.pop("/Metadata", None)
        writer.compress_identical_objects(remove_unreferenced=True)  # drop objects nothing refers to any more
        output = io.BytesIO()
        writer.write(output)
        return output.getvalue()
    except (PdfReadError, OSError, ValueError, KeyError) as error:
        raise _CannotClean(f"the PDF could not be read: {error.__class__.__name__}") from None


if __name__ == "__main__":
    _clean_in_child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
