"""Blobs in S3-compatible storage (django-storages against a real S3 server on loopback):
files go up as ciphertext under random names, come back whole, and are deleted with their tip."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tipline.config import blob_storage
from tipline.core.attachments import file_chunks, submitted_files
from tipline.core.conversation import open_tip_for_recipient
from tipline.core.models import Tip
from tipline.intake.tests.helpers import post_tip
from tipline.jobs import retention

pytestmark = pytest.mark.django_db
MARKER = b"s3-plaintext-marker-5521 " * 40_000  # ~1 MB, several upload chunks


def objects(s3) -> dict[str, bytes]:
    listing = s3.list_objects_v2(Bucket=s3.bucket).get("Contents", [])
    return {item["Key"]: s3.get_object(Bucket=s3.bucket, Key=item["Key"])["Body"].read() for item in listing}


def test_a_file_goes_to_the_bucket_as_ciphertext_comes_back_whole_and_is_purged(s3_blob_store, recipient_keys):
    user, private_key = recipient_keys
    upload = SimpleUploadedFile("notes.txt", MARKER, content_type="text/plain")
    response = post_tip(Client(), "general", {"answer-tip": "see the file"}, files=[upload])
    assert response.status_code == 200, response.content.decode()[:400]

    stored = objects(s3_blob_store)
    assert len(stored) == 1
    ((name, body),) = stored.items()
    assert len(name) == 32 and b"s3-plaintext-marker" not in body and b"notes.txt" not in body

    tip = Tip.objects.get()
    tip_key = open_tip_for_recipient(tip, user, private_key)
    (view,) = submitted_files(tip, tip_key)
    assert b"".join(file_chunks(tip_key, tip.attachments.get(pk=view.id))) == MARKER

    Tip.objects.update(last_activity_hour=timezone.now() - timezone.timedelta(days=400))
    assert retention.purge_due(timezone.now()) == 1
    assert objects(s3_blob_store) == {}


def test_the_s3_setting_needs_a_bucket_and_says_so(monkeypatch, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.delenv("TIPLINE_S3_BUCKET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="TIPLINE_S3_BUCKET"):
        blob_storage("s3", tmp_path)
    with pytest.raises(ImproperlyConfigured, match="use filesystem or s3"):
        blob_storage("nfs", tmp_path)
    monkeypatch.setenv("TIPLINE_S3_BUCKET", "tips")
    monkeypatch.setenv("TIPLINE_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    options = blob_storage("s3", tmp_path)["OPTIONS"]
    assert (
        options["bucket_name"] == "tips"
        and options["addressing_style"] == "path"
        and options["querystring_auth"] is False
    )
