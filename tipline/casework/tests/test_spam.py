"""Destroying a tip as spam: a page asks first; then its keys are shredded, its rows and
files go at once, the audit log says who and when without content, and the receipt finds
nothing. Not for a recipient the tipster left out, not for someone who cannot open the tip,
not for a tip on hold."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.audit.models import AuditEntry
from tipline.casework import services
from tipline.casework.tests.test_leave_out import DESK, named
from tipline.core.channel_schema import import_channel, parse_document
from tipline.core.models import Attachment, Tip
from tipline.intake.tests.helpers import post_tip, receipt_in
from tipline.intake.tests.test_upload_leaks import blobs_on_disk
from tipline.testing.staff import make_staff, sign_in

SPAM = "BUY-CHEAP-WATCHES-7731"


def test_it_asks_first_then_destroys_the_tip_and_its_files_and_audits_no_content(signed_in):
    tipster = Client()
    receipt = receipt_in(
        post_tip(tipster, "alpha", {"answer-tip": SPAM}, files=[SimpleUploadedFile("spam.txt", SPAM.encode() * 100)])
    )
    tip = Tip.objects.get()
    ana = signed_in["alpha"]

    asked = ana.get(f"/staff/tips/{tip.id}/destroy/")
    unconfirmed = ana.post(f"/staff/tips/{tip.id}/destroy/", {})
    assert asked.status_code == 200 and f"Destroy tip {tip.reference} as spam" in asked.content.decode()
    assert unconfirmed.status_code == 400 and "Nothing was destroyed" in unconfirmed.content.decode()
    assert Tip.objects.filter(pk=tip.pk).exists() and len(blobs_on_disk()) == 1

    destroyed = ana.post(f"/staff/tips/{tip.id}/destroy/", {"confirm": "on"})

    assert destroyed.status_code == 200 and f"Tip {tip.reference} is destroyed" in destroyed.content.decode()
    assert not Tip.objects.exists() and not Attachment.objects.exists() and blobs_on_disk() == set()
    entry = AuditEntry.objects.get(action="tip-destroyed-as-spam")
    assert (entry.actor, entry.target, entry.details) == ("ana", str(tip.id), {"channel": "alpha"})
    assert not any(SPAM in str(row) for row in AuditEntry.objects.values_list("details", "target"))
    looked_up = Client().post("/check/", {"receipt": receipt})
    assert looked_up.status_code == 404 and "No tip has this receipt" in looked_up.content.decode()


def test_a_recipient_of_another_channel_gets_not_found(signed_in):
    post_tip(Client(), "alpha", {"answer-tip": SPAM})
    tip = Tip.objects.get()

    assert signed_in["beta"].get(f"/staff/tips/{tip.id}/destroy/").status_code == 404
    assert signed_in["beta"].post(f"/staff/tips/{tip.id}/destroy/", {"confirm": "on"}).status_code == 404
    assert Tip.objects.filter(pk=tip.pk).exists()


def test_a_tip_on_hold_or_one_the_person_cannot_open_stays(signed_in):
    post_tip(Client(), "alpha", {"answer-tip": SPAM})
    tip = Tip.objects.get()
    late = sign_in(make_staff("cy", ["alpha"]))  # joined after the tip: holds no key to it
    ana = signed_in["alpha"]
    services.set_hold(tip.channel.recipients.get(username="ana"), tip.id, True, "court order")

    held = ana.post(f"/staff/tips/{tip.id}/destroy/", {"confirm": "on"})
    unopened = late.post(f"/staff/tips/{tip.id}/destroy/", {"confirm": "on"})

    assert held.status_code == 409 and "This tip is on hold" in held.content.decode()
    assert unopened.status_code == 409 and "You cannot open this tip" in unopened.content.decode()
    assert (
        Tip.objects.filter(pk=tip.pk).exists()
        and not AuditEntry.objects.filter(action="tip-destroyed-as-spam").exists()
    )


def test_the_recipient_left_out_cannot_destroy_it_and_its_readers_can(db, client):
    import_channel(parse_document(DESK))
    ana, ben = named(make_staff("ana", ["desk"]), "Editor"), named(make_staff("ben", ["desk"]), "Lawyer")
    post_tip(client, "desk", {"answer-tip": SPAM, "leave_out": [str(ben.user.pk)]})
    tip = Tip.objects.get()

    assert sign_in(ben).get(f"/staff/tips/{tip.id}/destroy/").status_code == 404
    assert sign_in(ben).post(f"/staff/tips/{tip.id}/destroy/", {"confirm": "on"}).status_code == 404
    assert Tip.objects.filter(pk=tip.pk).exists()
    assert sign_in(ana).post(f"/staff/tips/{tip.id}/destroy/", {"confirm": "on"}).status_code == 200
    assert AuditEntry.objects.get(action="tip-destroyed-as-spam").details == {
        "channel": "desk",
        "readers": [ana.user.pk],
    }
