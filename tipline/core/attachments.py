"""A tip's files: uploads prepared (cleaned of hidden details in turns, or kept as sent), stored
under the tip key, described and read back in chunks."""

import contextlib
import itertools
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_noop

from tipline.core import blobs, metadata, storage_budget
from tipline.core.models import Attachment, Channel, Tip
from tipline.core.uploads import EncryptedUpload
from tipline.crypto import content, files


@dataclass(frozen=True)
class FileView:
    id: uuid.UUID
    name: str
    size: int
    note: str


@dataclass(frozen=True)
class PreparedFile:
    blob_name: str
    file_key: bytes
    meta: dict


def submitted_files(tip: Tip, tip_key: bytes) -> list[FileView]:
    return [describe_file(tip_key, attachment) for attachment in tip.attachments.filter(message__isnull=True)]


def describe_file(tip_key: bytes, attachment: Attachment) -> FileView:
    meta = content.decrypt_json(tip_key, bytes(attachment.meta_ciphertext), _attachment_meta_context(attachment))
    return FileView(id=attachment.id, name=meta["name"], size=meta["size"], note=meta["note"])


def file_chunks(tip_key: bytes, attachment: Attachment) -> Iterator[bytes]:
    """The decrypted bytes of an attachment, streamed; raises DecryptionError if altered."""
    file_key = files.unwrap_file_key(
        tip_key, bytes(attachment.wrapped_file_key), files.file_context(attachment.tip.crypto_id, str(attachment.id))
    )
    size = content.decrypt_json(tip_key, bytes(attachment.meta_ciphertext), _attachment_meta_context(attachment))[
        "size"
    ]
    return files.decrypt_chunks(
        file_key, blobs.read_chunks(attachment.blob_name), files.blob_context(attachment.blob_name), size
    )


def prepare_files(
    uploads: Sequence[EncryptedUpload], keep_original: bool, charge_to: Channel | None = None
) -> list[PreparedFile]:
    """Each upload cleaned where possible, or noted as kept. Files to clean take one of this
    process's cleaning turns for the whole request, in the small lane when their headers
    declare few pixels: raises metadata.CleaningBusy, before anything is cleaned, counted or
    stored, when none is free. With `charge_to`, the files count against that channel's
    storage budget (StorageBudgetSpent before any cleaning)."""
    to_clean = [upload for upload in uploads if _is_to_clean(upload, keep_original)]
    with _cleaning_turn(to_clean) if to_clean else contextlib.nullcontext():
        if charge_to is not None:
            storage_budget.spend(charge_to, uploads)
        return [_prepare_file(upload, keep_original) for upload in uploads]


def _cleaning_turn(to_clean: list[EncryptedUpload]):
    # Every upload to clean is of a kind recognised (_is_to_clean): the filter only tells mypy so.
    kinds_and_heads = (
        (kind, _first_bytes(upload)) for upload in to_clean if (kind := metadata.recognise(upload.head)) is not None
    )
    lane = metadata.lane_for(kinds_and_heads, settings.SMALL_CLEANING_PIXELS)
    return metadata.cleaning_turn(settings.CLEANING_PARALLEL, lane)


def _first_bytes(upload: EncryptedUpload) -> bytes:
    chunks = upload.plaintext_chunks()
    try:
        return b"".join(itertools.islice(chunks, metadata.HEADER_BYTES // files.CHUNK_BYTES))
    finally:
        chunks.close()


def _is_to_clean(upload: EncryptedUpload, keep_original: bool) -> bool:
    return (
        not keep_original
        and metadata.recognise(upload.head) is not None
        and upload.size <= settings.MAX_CLEANABLE_BYTES
    )


def _prepare_file(upload: EncryptedUpload, keep_original: bool) -> PreparedFile:
    """Clean an upload's hidden details where possible; say what happened to it."""
    meta = {"name": upload.name, "content_type": upload.content_type, "size": upload.size}
    kind = metadata.recognise(upload.head)
    if keep_original:
        note = gettext_noop("kept exactly as sent: this channel keeps files as evidence")
    elif kind is None:
        note = gettext_noop("not cleaned: files of this kind are not cleaned; it is stored as sent")
    elif upload.size > settings.MAX_CLEANABLE_BYTES:
        note = gettext_noop("too large to clean; it is stored as sent")
    else:
        cleaning = metadata.clean_within(_decrypt_upload(upload), kind, cleaning_limits())
        if cleaning.data is not None:
            name = metadata.name_for(upload.name, cleaning.data)  # a HEIC comes back as a JPEG
            return _encrypt_new_blob(
                cleaning.data, meta | {"name": name, "size": len(cleaning.data), "note": cleaning.note}
            )
        note = cleaning.note
    return PreparedFile(upload.blob_name, upload.file_key, meta | {"note": note})


def cleaning_limits() -> metadata.Limits:
    return metadata.Limits(
        seconds=settings.CLEANING_SECONDS,
        max_pixels=settings.MAX_CLEANABLE_PIXELS,
        memory_bytes=settings.CLEANING_MEMORY_MIB * 1024 * 1024,
    )


def _decrypt_upload(upload: EncryptedUpload) -> bytes:
    return b"".join(upload.plaintext_chunks())


def _encrypt_new_blob(data: bytes, meta: dict) -> PreparedFile:
    blob_name, file_key = blobs.new_blob_name(), files.new_file_key()
    pieces = (data[start : start + files.CHUNK_BYTES] for start in range(0, len(data), files.CHUNK_BYTES))
    try:
        with blobs.open_for_writing(blob_name) as blob:
            for encrypted in files.encrypt_chunks(file_key, pieces, files.blob_context(blob_name), padded=True):
                blob.write(encrypted)
    except BaseException:  # a disk that filled part-way: no half-written blob stays behind
        blobs.delete(blob_name)
        raise
    return PreparedFile(blob_name, file_key, meta)


def store_attachments(tip: Tip, tip_key: bytes, prepared: list[PreparedFile], author: str, message) -> None:
    attachments = []
    for file in prepared:
        attachment = Attachment(id=uuid.uuid4(), tip=tip, message=message, author=author, blob_name=file.blob_name)
        attachment.wrapped_file_key = files.wrap_file_key(
            tip_key, file.file_key, files.file_context(tip.crypto_id, str(attachment.id))
        )
        attachment.meta_ciphertext = content.encrypt_json(tip_key, file.meta, _attachment_meta_context(attachment))
        attachments.append(attachment)
    Attachment.objects.bulk_create(attachments)


def discard_prepared(prepared: list[PreparedFile], uploads: Sequence[EncryptedUpload]) -> None:
    for blob_name in {file.blob_name for file in prepared} | {upload.blob_name for upload in uploads}:
        blobs.delete(blob_name)


def _attachment_meta_context(attachment: Attachment) -> bytes:
    return content.file_meta_context(attachment.tip_id.bytes, attachment.id)
