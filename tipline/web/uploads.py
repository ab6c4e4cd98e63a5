"""Streaming upload handler: every file is encrypted chunk by chunk as it arrives.

It replaces Django's memory and temporary-file handlers for every upload, so no
plaintext byte of a file ever reaches the disk; what a view receives in request.FILES is a
tipline.core.uploads.EncryptedUpload. After every response, UnclaimedUploadsMiddleware deletes
each blob the request wrote that no stored file points to.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _

from tipline.core import blobs
from tipline.core.uploads import EncryptedUpload, human_size
from tipline.crypto import files

SNIFF_BYTES = 16
HANDLERS_MADE = "tipline_encrypting_upload_handlers"


class EncryptingUploadHandler(FileUploadHandler):
    chunk_size = 256 * 1024

    def __init__(self, request=None):
        super().__init__(request)
        if request is not None:  # for UnclaimedUploadsMiddleware, after the response
            setattr(request, HANDLERS_MADE, [*getattr(request, HANDLERS_MADE, ()), self])
        self.completed: list[EncryptedUpload] = []
        self.refusal: str | None = None
        self.refusal_status = 413  # 413: a limit was broken; 503: the server could not store it; 507: disk nearly full
        self._blob = None

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        if len(self.completed) >= settings.MAX_FILES_PER_TIP:
            self._refuse(_("At most %(count)d files can be sent at once.") % {"count": settings.MAX_FILES_PER_TIP})
        self._refuse_if_disk_nearly_full()
        self._blob_name = blobs.new_blob_name()
        self._file_key = files.new_file_key()
        self._encryptor = files.FileEncryptor(self._file_key, files.blob_context(self._blob_name), padded=True)
        self._head = b""
        self._store(lambda: setattr(self, "_blob", blobs.open_for_writing(self._blob_name)))

    def receive_data_chunk(self, raw_data, start):
        if len(self._head) < SNIFF_BYTES:
            self._head += raw_data[: SNIFF_BYTES - len(self._head)]
        self._store(lambda: self._blob.write(self._encryptor.update(raw_data)))
        if self._encryptor.plaintext_bytes % (16 * self.chunk_size) < len(raw_data):  # every 4 MiB
            self._refuse_if_disk_nearly_full()
        if self._encryptor.plaintext_bytes > settings.MAX_FILE_BYTES:
            self._refuse(
                _("“%(name)s” is larger than the limit of %(limit)s.")
                % {
                    "name": self.file_name,
                    "limit": human_size(settings.MAX_FILE_BYTES),
                }
            )
        return None

    def file_complete(self, file_size):
        self._store(lambda: [self._blob.write(piece) for piece in self._encryptor.finish_pieces()])
        self._blob.close()
        self._blob = None
        upload = EncryptedUpload(
            self.file_name, self.content_type, self._blob_name, self._file_key, file_size, self._head
        )
        self.completed.append(upload)
        return upload

    def upload_interrupted(self):
        self.discard_all()

    def discard_all(self) -> None:
        if self._blob is not None:
            blob, self._blob = self._blob, None
            try:
                blob.close()
            finally:
                blobs.delete(self._blob_name)
        for upload in self.completed:
            upload.discard()
        self.completed.clear()

    def _store(self, write) -> None:
        try:
            write()
        except OSError:  # disk full, quota, storage gone: the tipster's fault in no way
            self.refusal_status = 503
            self._refuse(
                _(
                    "Your files could not be stored because of a problem on our side. Nothing was saved; please try "
                    "again later."
                )
            )

    def _refuse_if_disk_nearly_full(self) -> None:
        if not blobs.has_room():
            self.refusal_status = 507
            self._refuse(
                _(
                    "Our storage is nearly full, so files cannot be taken right now. Nothing was saved; please try "
                    "again later, or send your text without files."
                )
            )

    def _refuse(self, reason: str) -> None:
        self.refusal = reason
        try:
            self.discard_all()
        except OSError:
            pass  # what could not be written cannot always be removed; it was never readable
        raise StopUpload(connection_reset=False)


class UnclaimedUploadsMiddleware:
    """The one place that ends what a request's uploads left: after every response, each
    blob the request wrote that no stored file points to is deleted (a refused tip, an
    unknown channel or receipt, a limit, an error, the original of a cleaned image)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            # The handlers this request made (asking for `request.upload_handlers` would make new ones).
            for handler in getattr(request, HANDLERS_MADE, ()):
                if handler.completed:
                    discard_unclaimed(handler)


def discard_unclaimed(handler: EncryptingUploadHandler) -> None:
    from django.db import DatabaseError

    from tipline.core.models import Attachment

    names = [upload.blob_name for upload in handler.completed]
    try:
        kept = set(Attachment.objects.filter(blob_name__in=names).values_list("blob_name", flat=True))
    except DatabaseError:
        return  # cannot tell what was stored: leave them rather than lose a stored file's blob
    for upload in handler.completed:
        if upload.blob_name not in kept:
            upload.discard()
    handler.completed.clear()


def upload_handler_of(request) -> EncryptingUploadHandler | None:
    for handler in request.upload_handlers:
        if isinstance(handler, EncryptingUploadHandler):
            return handler
    return None
