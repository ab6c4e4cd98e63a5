"""Removing hidden details (EXIF, XMP, document info) from images and PDFs before they are
stored, and saying plainly what was cleaned and what could not be.

Runs in memory only (files up to TIPLINE_MAX_CLEANABLE_BYTES): a cleaned copy is
re-encrypted; nothing plaintext touches the disk.
"""

import io
from dataclasses import dataclass

from django.utils.translation import gettext_noop
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


def clean(data: bytes, kind: str) -> Cleaning:
    try:
        cleaned = _clean_pdf(data) if kind == "PDF" else _clean_image(data, kind)
    except _CannotClean as reason:
        return Cleaning(None, f"could not be cleaned ({reason}); it is stored as sent")
    # Notes are stored in English inside the file's encrypted metadata and translated when shown.
    return Cleaning(cleaned, gettext_noop("hidden details such as location, device and author were removed"))


class _CannotClean(Exception):
    pass


def _clean_image(data: bytes, kind: str) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != kind:
                raise _CannotClean(f"it is not really a {kind} image")
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
