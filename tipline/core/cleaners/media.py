"""Recordings: MP4, MOV and M4A (ISO base media), MP3, FLAC, Ogg and WAV.

ISO base media files are edited in place, never re-encoded or moved: the boxes that hold
metadata (`udta` with GPS `©xyz`, make and model; `meta` with Apple's location and device
keys; XMP `uuid` boxes) become `free` boxes of the same size filled with zeros, and the
creation and modification times in the movie, track and media headers are set to zero.
Nothing shifts, so the offsets into the media data stay right. Audio tags (ID3, APE,
Vorbis comments, FLAC pictures) are removed through mutagen; a WAV keeps only its format
and sound chunks."""

import io
import struct

import mutagen
from mutagen import MutagenError

from tipline.core.cleaners import CannotClean, gettext_noop

NOTE = gettext_noop(
    "tags, location, device and dates were removed; what the recording itself shows or says (voices, faces, "
    "places) is not changed"
)
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"edts", b"dinf", b"stbl"}
METADATA_BOXES = {b"udta", b"meta", b"uuid"}
HEADERS_WITH_TIMES = {b"mvhd", b"tkhd", b"mdhd"}
WAV_CHUNKS_KEPT = {b"fmt ", b"data", b"fact"}


def clean(data: bytes, kind: str) -> tuple[bytes, str]:
    if kind == "MP4":
        return _clean_iso_media(data), NOTE
    if kind == "WAV":
        return _clean_wav(data), NOTE
    return _clean_tags(data), NOTE


def _clean_iso_media(data: bytes) -> bytes:
    cleaned = bytearray(data)
    try:
        _walk(cleaned, 0, len(cleaned))
    except (struct.error, ValueError) as error:
        raise CannotClean(f"the recording could not be read: {error}") from None
    return bytes(cleaned)


def _walk(data: bytearray, start: int, end: int) -> None:
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            size, header = struct.unpack_from(">Q", data, position + 8)[0], 16
        elif size == 0:
            size = end - position  # to the end of the file
        if size < header or position + size > end:
            raise ValueError(f"a box ({kind!r}) runs past its parent")
        body = position + header
        if kind in METADATA_BOXES:
            struct.pack_into(">4s", data, position + 4, b"free")
            data[body : position + size] = bytes(position + size - body)
        elif kind in HEADERS_WITH_TIMES:
            width = 8 if data[body] == 1 else 4  # version 1: 64-bit times
            data[body + 4 : body + 4 + 2 * width] = bytes(2 * width)
        elif kind in CONTAINERS:
            _walk(data, body, position + size)
        position += size


def _clean_tags(data: bytes) -> bytes:
    buffer = io.BytesIO(data)
    try:
        audio = mutagen.File(buffer)
        if audio is None:
            raise CannotClean("the recording's format was not recognised")
        buffer.seek(0)
        audio.delete(buffer)
        if hasattr(audio, "clear_pictures"):  # FLAC's embedded pictures (covers, photos)
            buffer.seek(0)
            audio = mutagen.File(buffer)
            audio.clear_pictures()
            buffer.seek(0)
            audio.save(buffer)
    except MutagenError as error:
        raise CannotClean(f"the recording could not be read: {error.__class__.__name__}") from None
    return buffer.getvalue()


def _clean_wav(data: bytes) -> bytes:
    """RIFF/WAVE: keep `fmt `, `fact` and `data`; drop LIST/INFO, `bext` (originator, date),
    `iXML`, `id3 ` and every other chunk."""
    if len(data) < 12:
        raise CannotClean("the recording is cut short")
    kept, position = [], 12
    while position + 8 <= len(data):
        kind, size = struct.unpack_from("<4sI", data, position)
        chunk = data[position : position + 8 + size + (size & 1)]
        if kind in WAV_CHUNKS_KEPT:
            kept.append(chunk)
        position += 8 + size + (size & 1)
    body = b"WAVE" + b"".join(kept)
    return b"RIFF" + struct.pack("<I", len(body)) + body
