"""Uploads are encrypted to blobs while the request is read, before any view runs. Whatever
the request's end (an unknown channel, a refused receipt, a limit), no blob outlives it
unless a stored file points to it; a cleaned image leaves no uncleaned original behind."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.core.models import Attachment
from tipline.intake.tests.helpers import post_tip
from tipline.intake.tests.test_files import jpeg_with_exif


def blobs_on_disk() -> set[str]:
    return {path.name for path in settings.BLOB_DIR.rglob("*") if path.is_file()} if settings.BLOB_DIR.exists() else set()


def test_files_sent_to_a_channel_that_does_not_exist_leave_nothing(client, demo_channels):
    response = post_tip(client, "no-such-channel", {"answer-tip": "x"}, files=[SimpleUploadedFile("a.txt", b"a" * 5000)])

    assert response.status_code == 404 and blobs_on_disk() == set()


def test_files_sent_with_an_unknown_receipt_through_the_api_leave_nothing(recipient_keys):
    response = Client().post(
        "/api/v1/followup/messages", {"receipt": "1111 2222 3333 4444 5555 6666", "text": "x", "files": [SimpleUploadedFile("b.txt", b"b" * 5000)]}
    )

    assert response.status_code in (400, 404) and blobs_on_disk() == set()


def test_a_cleaned_image_keeps_no_uncleaned_original(client, recipient_keys):
    response = post_tip(client, "general", {"answer-tip": "photo"}, files=[SimpleUploadedFile("photo.jpg", jpeg_with_exif(), "image/jpeg")])

    assert response.status_code == 200
    assert blobs_on_disk() == set(Attachment.objects.values_list("blob_name", flat=True))
    assert len(blobs_on_disk()) == 1
