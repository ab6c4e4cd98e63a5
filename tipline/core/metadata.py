"""Removing hidden details (EXIF and GPS, XMP, document properties, authors, tags) from the
files tipsters send, before they are stored, and saying plainly what was cleaned and what
could not be. The cleaners themselves are in tipline.core.cleaners, one per family.

Runs in memory only (files up to TIPLINE_MAX_CLEANABLE_BYTES): a cleaned copy is
re-encrypted; nothing plaintext touches the disk. Decoders are where a small hostile file
costs the most (a few hundred KB can decode to gigabytes), so each cleaning runs in a child
process with a time and memory limit and a lower CPU priority, and images are measured from
their header before any pixel is decoded. A request cleans only while it holds one of its
server process's few cleaning turns; when none is free it is refused at once (CleaningBusy)
rather than wait in a request thread that other pages need. Small pictures (by the pixels their
header declares) have turns of their own, so that a flood of large ones does not refuse them.
A note never contains a newline.
"""

import io
import os
import resource
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tipline.core.cleaners import CannotClean, TooManyPixels, gettext_noop

IMAGE_KINDS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "HEIF")
KIND_BY_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP"),  # Office Open XML and OpenDocument; other archives are kept as sent
    (b"ID3", "MP3"),
    (b"\xff\xfb", "MP3"),
    (b"\xff\xf3", "MP3"),
    (b"\xff\xf2", "MP3"),
    (b"fLaC", "FLAC"),
    (b"OggS", "OGG"),  # Vorbis, Opus, FLAC in Ogg: mutagen tells which
)
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis", b"avif")


@dataclass(frozen=True)
class Cleaning:
    data: bytes | None  # the cleaned file, or None when it is kept as sent
    note: str  # what the tipster is told about this file


def recognise(head: bytes) -> str | None:
    """The kind of file from its first 16 bytes (never from its name), or None."""
    if head[:4] == b"RIFF":
        return {b"WEBP": "WEBP", b"WAVE": "WAV"}.get(head[8:12])
    if head[4:8] == b"ftyp":  # ISO base media: HEIF pictures, MP4/MOV/M4A recordings
        return "HEIF" if head[8:12] in HEIF_BRANDS else "MP4"
    return next((kind for magic, kind in KIND_BY_MAGIC if head.startswith(magic)), None)


def name_for(name: str, cleaned: bytes) -> str:
    """The file's name, with a .jpg ending when the cleaner turned it into a JPEG (HEIC)."""
    if recognise(cleaned[:16]) == "JPEG" and not name.lower().endswith((".jpg", ".jpeg")):
        return f"{name.rsplit('.', 1)[0] if '.' in name else name}.jpg"
    return name


@dataclass(frozen=True)
class Limits:
    seconds: float  # wall-clock time for one file, child process included
    max_pixels: int  # an image with more is not decoded
    memory_bytes: int  # address space of the child process


TOO_SLOW = gettext_noop("took too long to clean; it is stored as sent")
TOO_MANY_PIXELS = gettext_noop("too many pixels to clean; it is stored as sent")
CLEANER_FAILED = gettext_noop("could not be cleaned (the cleaner ran out of memory or stopped); it is stored as sent")

# Added to the cleaning child's niceness: pages (the landing page, recipients' inbox) keep
# the CPU while a flood of files is being decoded.
CHILD_NICENESS = 10

# Kinds whose header tells the whole cost: one picture, its size before any pixel data.
# (GIF, WebP and TIFF may hold many frames or pages, HEIF needs its decoder to be read.)
MEASURED_KINDS = ("JPEG", "PNG")
HEADER_BYTES = 256 * 1024  # room for a phone's EXIF and thumbnails before the frame header

_slots_lock = threading.Lock()
_slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}


class CleaningBusy(Exception):
    """Every cleaning turn of this server process is taken: the request is refused at once,
    nothing stored, and the tipster asked to send again shortly."""


@contextmanager
def cleaning_turn(parallel: int, lane: str = "large") -> Iterator[None]:
    """Hold one of this process's `parallel` cleaning turns of `lane` ("large" or "small"),
    for all of a request's files.

    Never waits: a request queued behind others' cleaning would hold a request thread for as
    long as they take (a flood of 49-megapixel images held the landing page for 57 s). The
    lanes' turns are apart: large images holding every large turn leave the small ones free."""
    slots = _slots_for(lane, parallel)
    if not slots.acquire(blocking=False):
        raise CleaningBusy()
    try:
        yield
    finally:
        slots.release()


def clean_within(data: bytes, kind: str, limits: Limits) -> Cleaning:
    """Clean in a child process that is killed when it passes `limits`; call it while holding
    a cleaning_turn.

    The child is a fresh interpreter (not a fork of the threaded server) that reads the file
    from a pipe and writes the cleaned copy to another: nothing reaches the disk.
    """
    try:
        child = subprocess.run(
            child_command(kind, limits), input=data, capture_output=True, timeout=limits.seconds, check=False
        )
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        return Cleaning(None, TOO_SLOW)
    if child.returncode != 0:  # memory limit, signal, a decoder's crash
        return Cleaning(None, CLEANER_FAILED)
    outcome, note, cleaned = child.stdout.split(b"\n", 2)
    return Cleaning(cleaned if outcome == b"cleaned" else None, note.decode())


def child_command(kind: str, limits: Limits) -> list[str]:
    """The cleaning process: this module run by the server's own interpreter."""
    return [sys.executable, "-m", __name__, kind, str(limits.max_pixels), str(limits.memory_bytes)]


def lane_for(files: Iterable[tuple[str, bytes]], small_pixels: int) -> str:
    """ "small" when the pictures to clean, (kind, first bytes) each, declare at most
    `small_pixels` together in their headers; "large" for anything else."""
    total = 0
    for kind, head in files:
        pixels = declared_pixels(head, kind)
        if pixels is None:
            return "large"
        total += pixels
    return "small" if total <= small_pixels else "large"


def declared_pixels(head: bytes, kind: str) -> int | None:
    """The pixels a JPEG or single-frame PNG declares in its header (read from its first
    HEADER_BYTES; no pixel is decoded), or None when its cost cannot be told that way."""
    if kind not in MEASURED_KINDS:
        return None
    from PIL import (  # here: a cleaning child loads only its own decoders
        Image,
        UnidentifiedImageError,
    )

    try:
        with Image.open(io.BytesIO(head), formats=[kind]) as image:
            if getattr(image, "n_frames", 1) != 1 and image.format != "MPO":  # an MPO's second picture is dropped
                return None
            return image.width * image.height
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError, EOFError):
        return None


def _slots_for(lane: str, parallel: int) -> threading.BoundedSemaphore:
    with _slots_lock:
        return _slots.setdefault((lane, parallel), threading.BoundedSemaphore(parallel))


def _clean_in_child(kind: str, max_pixels: int, memory_bytes: int) -> None:
    os.nice(CHILD_NICENESS)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    cleaning = clean(sys.stdin.buffer.read(), kind, max_pixels)
    outcome = b"cleaned" if cleaning.data is not None else b"kept"
    sys.stdout.buffer.write(outcome + b"\n" + cleaning.note.encode() + b"\n" + (cleaning.data or b""))


def clean(data: bytes, kind: str, max_pixels: int) -> Cleaning:
    """Clean in this process, without a time limit: call clean_within from request code."""
    # Each cleaner is imported when needed: a child process loads only its own decoders.
    try:
        if kind in IMAGE_KINDS:
            from tipline.core.cleaners import images

            cleaned, note = images.clean(data, kind, max_pixels)
        elif kind == "PDF":
            from tipline.core.cleaners import pdf

            cleaned, note = pdf.clean(data)
        elif kind == "ZIP":
            from tipline.core.cleaners import office

            cleaned, note = office.clean(data, max_pixels)
        else:
            from tipline.core.cleaners import media

            cleaned, note = media.clean(data, kind)
    except TooManyPixels:
        return Cleaning(None, TOO_MANY_PIXELS)
    except CannotClean as reason:
        return Cleaning(None, f"could not be cleaned ({reason}); it is stored as sent")
    # Notes are stored in English inside the file's encrypted metadata and translated when shown.
    return Cleaning(cleaned, note)


if __name__ == "__main__":
    _clean_in_child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
