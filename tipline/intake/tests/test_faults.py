"""Faults that are nobody's mistake: a full disk and a locked database. The tipster gets a
clear 503 that keeps their text, nothing half-stored remains, and it works again after."""

import sqlite3
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from tipline.core.models import Tip
from tipline.intake.tests.helpers import post_tip

TEXT = "The text I typed must survive this."


@contextmanager
def locked_database():
    """Another process holds SQLite's write lock for as long as the block runs."""
    blocker = sqlite3.connect(connection.settings_dict["NAME"], timeout=1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        blocker.rollback()
        blocker.close()


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs: a disk that fills up (needs root, as CI runs)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)], capture_output=True)
    assert result.returncode == 0, f"cannot mount a tmpfs (run as root): {result.stderr.decode()}"
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


def test_a_full_disk_refuses_the_upload_cleanly_and_keeps_the_text(client, recipient_keys, tiny_disk, settings):
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tiny_disk)}}
    }
    big = SimpleUploadedFile("evidence.bin", b"x" * 200_000)

    refused = post_tip(client, "general", {"answer-tip": TEXT}, files=[big])
    accepted = post_tip(client, "general", {"answer-tip": TEXT}, files=[SimpleUploadedFile("small.txt", b"ok")])

    assert refused.status_code == 503 and refused.headers["Retry-After"] == "60"
    assert "could not be stored because of a problem on our side" in refused.content.decode()
    assert TEXT in refused.content.decode()
    assert accepted.status_code == 200
    assert Tip.objects.count() == 1
    assert [path.name for path in Path(tiny_disk).iterdir()] == [Tip.objects.get().attachments.get().blob_name]


def test_a_disk_that_fills_while_an_image_is_cleaned_leaves_no_partial_file(
    client, recipient_keys, tiny_disk, settings
):
    import io
    import os

    from PIL import Image

    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tiny_disk)}}
    }
    noise = io.BytesIO()
    Image.frombytes("L", (200, 200), os.urandom(40_000)).save(
        noise, format="PNG"
    )  # the upload fits; its cleaned copy does not
    photo = SimpleUploadedFile("photo.png", noise.getvalue())

    refused = post_tip(client, "general", {"answer-tip": TEXT}, files=[photo])

    assert refused.status_code == 503 and TEXT in refused.content.decode()
    assert Tip.objects.count() == 0
    assert list(Path(tiny_disk).iterdir()) == []


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_a_locked_database_answers_503_with_the_text_and_works_once_free(client, transactional_db, recipient_keys):
    with locked_database():
        refused = post_tip(client, "general", {"answer-tip": TEXT})
    accepted = post_tip(client, "general", {"answer-tip": TEXT})

    assert refused.status_code == 503 and refused.headers["Retry-After"] == "60"
    assert "could not be stored" in refused.content.decode() and TEXT in refused.content.decode()
    assert accepted.status_code == 200 and Tip.objects.count() == 1
    assert uuid.UUID(str(Tip.objects.get().id))


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_a_503_logs_the_route_pattern_not_the_path_typed(client, transactional_db, recipient_keys, caplog):
    import logging

    caplog.set_level(logging.INFO)
    with locked_database():
        refused = post_tip(client, "general", {"answer-tip": TEXT})

    assert refused.status_code == 503
    assert "/c/general/" not in caplog.text and "/c/<slug:slug>/" in caplog.text
