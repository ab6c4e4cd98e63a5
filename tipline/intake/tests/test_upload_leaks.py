"""Uploads are encrypted to blobs while the request is read, before any view runs. Whatever
the request's end (an unknown channel, a refused receipt, a limit), no blob outlives it
unless a stored file points to it; a cleaned image leaves no uncleaned original behind."""

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.core.models import Attachment
from tipline.intake.tests.helpers import post_tip
from tipline.intake.tests.test_files import jpeg_with_exif


def blobs_on_disk() -> set[str]:
    return (
        {path.name for path in settings.BLOB_DIR.rglob("*") if path.is_file()} if settings.BLOB_DIR.exists() else set()
    )


def test_files_sent_to_a_channel_that_does_not_exist_leave_nothing(client, demo_channels):
    response = post_tip(
        client, "no-such-channel", {"answer-tip": "x"}, files=[SimpleUploadedFile("a.txt", b"a" * 5000)]
    )

    assert response.status_code == 404 and blobs_on_disk() == set()


def test_files_sent_with_an_unknown_receipt_through_the_api_leave_nothing(recipient_keys):
    response = Client().post(
        "/api/v1/followup/messages",
        {"receipt": "1111 2222 3333 4444 5555 6666", "text": "x", "files": [SimpleUploadedFile("b.txt", b"b" * 5000)]},
    )

    assert response.status_code in (400, 404) and blobs_on_disk() == set()


def test_a_cleaned_image_keeps_no_uncleaned_original(client, recipient_keys):
    response = post_tip(
        client,
        "general",
        {"answer-tip": "photo"},
        files=[SimpleUploadedFile("photo.jpg", jpeg_with_exif(), "image/jpeg")],
    )

    assert response.status_code == 200
    assert blobs_on_disk() == set(Attachment.objects.values_list("blob_name", flat=True))
    assert len(blobs_on_disk()) == 1


def test_files_are_refused_with_507_and_the_text_kept_when_the_disk_is_nearly_full(client, recipient_keys, settings):
    settings.MIN_FREE_DISK_BYTES = 2**62  # more than any disk has free

    refused = post_tip(client, "general", {"answer-tip": "kept text"}, files=[SimpleUploadedFile("a.txt", b"a" * 5000)])
    text_only = post_tip(client, "general", {"answer-tip": "no files"})

    assert refused.status_code == 507
    assert "kept text" in refused.content.decode() and "storage is nearly full" in refused.content.decode()
    assert blobs_on_disk() == set()
    assert text_only.status_code == 200


def test_the_worker_sweeps_blobs_no_file_refers_to_after_a_day(client, recipient_keys):
    import os
    import time

    from tipline.core import blobs
    from tipline.jobs.retention import sweep_orphan_blobs

    post_tip(client, "general", {"answer-tip": "kept"}, files=[SimpleUploadedFile("kept.txt", b"k" * 100)])
    stored = Attachment.objects.get().blob_name
    for name in ("a" * 32, "b" * 32):
        with blobs.open_for_writing(name) as blob:
            blob.write(b"left by a server killed mid-request")
    two_days_ago = time.time() - 2 * 86400
    for name in (stored, "a" * 32):
        os.utime(settings.BLOB_DIR / name, (two_days_ago, two_days_ago))

    swept = sweep_orphan_blobs()

    assert swept == 1
    assert blobs_on_disk() == {stored, "b" * 32}  # the fresh one may still belong to a request in flight
