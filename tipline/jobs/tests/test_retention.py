"""Retention: tips are destroyed their channel's period after the last activity, unless on
hold; keys go first (crypto-shredding), then rows and blobs; the audit log keeps only that."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tipline.audit.models import AuditEntry
from tipline.core.models import Attachment, Message, Tip, TipKeyGrant
from tipline.intake.tests.helpers import post_tip, receipt_in
from tipline.jobs import retention
from tipline.testing import environment
from tipline.testing.staff import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_tip(desk):
    tipster = Client()
    response = post_tip(
        tipster, "desk", {"answer-tip": "marker-retention-5e1"}, files=[SimpleUploadedFile("r.txt", b"marker-file-5e1")]
    )
    tip = Tip.objects.get()
    return tip, receipt_in(response)


def blob_files():
    directory = environment.DATA_DIR / "blobs"
    return list(directory.iterdir()) if directory.exists() else []


def test_a_tip_is_kept_through_its_retention_period_and_destroyed_after(old_tip, privacy):
    tip, receipt = old_tip
    privacy.watch("marker-retention-5e1", "marker-file-5e1")
    now = timezone.now()

    assert retention.purge_due(now + timedelta(days=89)) == 0
    assert retention.purge_due(now + timedelta(days=91)) == 1

    assert not Tip.objects.exists() and not TipKeyGrant.objects.exists()
    assert not Message.objects.exists() and not Attachment.objects.exists()
    assert blob_files() == []
    entry = AuditEntry.objects.get(action="tip-purged")
    assert entry.target == str(tip.id) and entry.actor == "system"
    assert Client().post("/check/", {"receipt": receipt}).status_code == 404


def test_activity_restarts_the_period(old_tip):
    tip, _ = old_tip
    now = timezone.now()
    Tip.objects.filter(pk=tip.pk).update(last_activity_hour=now + timedelta(days=60))

    assert retention.purge_due(now + timedelta(days=100)) == 0
    assert retention.purge_due(now + timedelta(days=151)) == 1


def test_a_tip_on_hold_is_kept_and_the_hold_is_audited_with_its_reason(old_tip, desk):
    tip, _ = old_tip
    ana = sign_in(desk[0])

    ana.post(f"/staff/tips/{tip.id}/hold/", {"hold": "True", "reason": "court case pending"})

    assert retention.purge_due(timezone.now() + timedelta(days=365)) == 0
    assert AuditEntry.objects.get(action="tip-held").details == {"reason": "court case pending"}
    ana.post(f"/staff/tips/{tip.id}/hold/", {"hold": "False", "reason": "case closed"})
    assert retention.purge_due(timezone.now() + timedelta(days=365)) == 1


def test_keys_are_destroyed_first_so_a_failure_later_still_leaves_nothing_readable(old_tip, desk, monkeypatch):
    tip, receipt = old_tip

    def disk_went_away(tip):
        raise OSError("disk went away")

    monkeypatch.setattr(retention, "remove", disk_went_away)
    with pytest.raises(OSError):
        retention.purge(tip)

    tip.refresh_from_db()
    assert bytes(tip.tipster_wrapped_key) == b"" and not TipKeyGrant.objects.filter(tip=tip).exists()
    assert Client().post("/check/", {"receipt": receipt}).status_code == 404
    assert sign_in(desk[0]).get(f"/staff/tips/{tip.id}/").status_code == 404


def test_the_tipster_is_told_how_long_tips_are_kept(desk):
    page = Client().get("/c/desk/").content.decode()

    assert "destroyed 90 days after the last message" in page
