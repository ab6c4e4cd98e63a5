"""A recipient's work on a tip: open, reply (the tipster sees it), note, triage, grant, download, export."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.accounts.models import User
from tipline.audit.models import AuditEntry
from tipline.core.models import Note, Tip, TipKeyGrant
from tipline.intake.tests.helpers import post_tip, receipt_in
from tipline.testing.staff import make_staff, make_tip, note_opens_with, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def tip_with_file(two_channels):
    tipster = Client()
    response = post_tip(tipster, "alpha", {"answer-tip": "Pallets move at dawn."}, files=None)
    return Tip.objects.get(), receipt_in(response), tipster


def test_opening_a_tip_shows_answers_clears_unread_and_is_audited(signed_in, tip_with_file):
    tip, _, _ = tip_with_file

    page = signed_in["alpha"].get(f"/staff/tips/{tip.id}/")

    assert "Pallets move at dawn." in page.content.decode()
    tip.refresh_from_db()
    assert not tip.unread_by_recipients
    assert AuditEntry.objects.filter(actor="ana", action="tip-opened", target=str(tip.id)).exists()


def test_a_reply_reaches_the_tipster_and_their_answer_marks_the_tip_unread(signed_in, tip_with_file):
    tip, receipt, tipster = tip_with_file
    ana = signed_in["alpha"]

    ana.post(f"/staff/tips/{tip.id}/reply/", {"text": "What time exactly?"})
    tipster.post("/check/", {"receipt": receipt})
    tipster_page = tipster.get("/check/your-tip/").content.decode()
    tipster.post("/check/your-tip/", {"text": "Five o'clock."})

    assert "What time exactly?" in tipster_page
    tip.refresh_from_db()
    assert tip.unread_by_recipients and tip.message_count == 2
    assert "Five o&#x27;clock." in ana.get(f"/staff/tips/{tip.id}/").content.decode()


def test_colleagues_see_who_wrote_a_reply_and_the_tipster_sees_the_team(signed_in, tip_with_file):
    tip, receipt, tipster = tip_with_file
    signed_in["alpha"].post(f"/staff/tips/{tip.id}/reply/", {"text": "What time exactly?"})

    staff_page = signed_in["alpha"].get(f"/staff/tips/{tip.id}/").content.decode()
    tipster.post("/check/", {"receipt": receipt})
    tipster_page = tipster.get("/check/your-tip/").content.decode()
    tipster_api = Client().post("/api/v1/followup", {"receipt": receipt}, content_type="application/json").json()

    assert '<p class="meta">ana · ' in staff_page
    assert "What time exactly?" in tipster_page and "ana" not in tipster_page
    assert "sender" not in tipster_api["messages"][0]


def test_a_channel_may_show_tipsters_the_writers_display_name(signed_in, tip_with_file, two_channels):
    from tipline.core.models import Channel

    tip, receipt, tipster = tip_with_file
    signed_in["alpha"].post("/staff/preferences/", {"display_name": "Editor", "language": "en"})
    signed_in["alpha"].post(f"/staff/tips/{tip.id}/reply/", {"text": "What time exactly?"})
    tipster.post("/check/", {"receipt": receipt})

    hidden = tipster.get("/check/your-tip/").content.decode()
    Channel.objects.filter(slug="alpha").update(show_sender_to_tipster=True)
    shown = tipster.get("/check/your-tip/").content.decode()
    api = Client().post("/api/v1/followup", {"receipt": receipt}, content_type="application/json").json()

    assert "The team ·" in hidden and "Editor" not in hidden
    assert "Editor ·" in shown and "ana" not in shown
    assert api["messages"][0]["signature"] == "Editor"


def test_notes_are_encrypted_and_stay_with_recipients(signed_in, tip_with_file):
    tip, receipt, tipster = tip_with_file

    signed_in["alpha"].post(f"/staff/tips/{tip.id}/note/", {"text": "Check the harbour log."})

    assert b"harbour" not in bytes(Note.objects.get().ciphertext)
    assert "Check the harbour log." in signed_in["alpha"].get(f"/staff/tips/{tip.id}/").content.decode()
    tipster.post("/check/", {"receipt": receipt})
    assert "harbour" not in tipster.get("/check/your-tip/").content.decode()


def test_a_receipt_and_a_copy_of_the_database_open_no_internal_note(signed_in, tip_with_file):
    from tipline.core.check_in import find_tip_by_receipt

    tip, receipt, _tipster = tip_with_file
    signed_in["alpha"].post(f"/staff/tips/{tip.id}/note/", {"text": "The tipster is the night guard, we think."})
    # A seized receipt (or a server that caught the tip key when the tipster came back) opens
    # the tip key: the conversation, yes; the team's notes about the tipster, no.
    _found, tip_key = find_tip_by_receipt(receipt)
    note = Note.objects.get()
    assert note.under_team_key and not note_opens_with(tip_key, note)
    assert "night guard" in signed_in["alpha"].get(f"/staff/tips/{tip.id}/").content.decode()


def test_notes_from_before_team_keys_move_to_one_when_a_recipient_opens_the_tip(signed_in, tip_with_file, two_channels):
    from tipline.core.check_in import find_tip_by_receipt
    from tipline.crypto import content, tip_keys

    tip, receipt, _tipster = tip_with_file
    _found, tip_key = find_tip_by_receipt(receipt)
    nia = make_staff("nia", ["alpha"])
    TipKeyGrant.objects.create(tip=tip, recipient=nia.user, sealed_tip_key=b"")
    # As the tip was stored before team keys: grants hold the tip key alone, a note is under it.
    for grant in TipKeyGrant.objects.filter(tip=tip).select_related("recipient"):
        grant.sealed_tip_key = tip_keys.seal_tip_key(tip_key, tip.crypto_id, bytes(grant.recipient.public_key))
        grant.save()
    note = Note(tip=tip, written_hour=tip.received_hour)
    note.ciphertext = content.encrypt_content(
        tip_key, b"Old note: call the port authority.", content.note_context(tip.crypto_id, note.key)
    )
    note.save()
    assert note_opens_with(tip_key, note)

    assert "call the port authority" in signed_in["alpha"].get(f"/staff/tips/{tip.id}/").content.decode()
    note.refresh_from_db()
    assert note.under_team_key and not note_opens_with(tip_key, note)
    grants = TipKeyGrant.objects.filter(tip=tip)
    assert grants.count() == 2  # every reader's grant now carries the team key: one team key for all
    for grant in grants:
        member = two_channels["alpha"] if grant.recipient.username == "ana" else nia
        assert (
            tip_keys.open_sealed_keys(bytes(grant.sealed_tip_key), tip.crypto_id, member.private_key).team_key
            is not None
        )


def test_a_database_writer_cannot_reattribute_a_reply_or_a_note(signed_in, tip_with_file, two_channels):
    from tipline.core.models import Message

    tip, receipt, tipster = tip_with_file
    make_staff("carol", ["alpha"])
    staff = signed_in["alpha"]
    staff.post(f"/staff/tips/{tip.id}/reply/", {"text": "Which pallets? Any dates help."})
    staff.post(f"/staff/tips/{tip.id}/note/", {"text": "Ana thinks this is the night guard."})
    # One UPDATE each: the team's reply passed off as the tipster's, the note given to carol.
    Message.objects.filter(tip=tip).update(author="tipster", sender=None)
    Note.objects.filter(tip=tip).update(author=User.objects.get(username="carol"))

    page = staff.get(f"/staff/tips/{tip.id}/").content.decode()
    assert "Which pallets? Any dates help." in page and "Ana thinks this is the night guard." in page
    conversation = page[page.index("Which pallets") - 400 : page.index("Which pallets")]
    assert "Tipster" not in conversation and "ana" in conversation
    notes = page[page.index("Ana thinks") - 400 : page.index("Ana thinks")]
    assert "carol" not in notes and "ana" in notes
    tipster.post("/check/", {"receipt": receipt})
    mine = tipster.get("/check/your-tip/").content.decode()
    assert (
        "Which pallets" in mine and "You" not in mine[mine.index("Which pallets") - 300 : mine.index("Which pallets")]
    )


def test_triage_changes_are_saved_and_audited(signed_in, tip_with_file):
    tip, _, _ = tip_with_file

    response = signed_in["alpha"].post(
        f"/staff/tips/{tip.id}/triage/", {"status": "in_review", "labels": "Urgent, harbour", "assignee": "ana"}
    )

    tip.refresh_from_db()
    assert response.status_code == 302
    assert tip.status == "in_review" and tip.assignee.username == "ana"
    assert sorted(tip.labels.values_list("name", flat=True)) == ["harbour", "urgent"]
    assert set(AuditEntry.objects.filter(target=str(tip.id)).values_list("action", flat=True)) >= {
        "status-changed",
        "labels-changed",
        "assignee-changed",
    }


def test_a_recipient_added_later_reads_the_tip_only_after_a_grant(signed_in, tip_with_file):
    tip, _, _ = tip_with_file
    newcomer = make_staff("nia", ["alpha"])
    nia = sign_in(newcomer)

    before = nia.get(f"/staff/tips/{tip.id}/")
    signed_in["alpha"].post(f"/staff/tips/{tip.id}/grant/", {"grantee": "nia"})
    after = nia.get(f"/staff/tips/{tip.id}/")

    assert before.status_code == 404
    assert after.status_code == 200 and "Pallets move at dawn." in after.content.decode()
    assert TipKeyGrant.objects.filter(tip=tip, recipient=newcomer.user).exists()
    assert AuditEntry.objects.filter(action="access-granted", details__grantee="nia").exists()


def test_files_download_decrypted_and_the_export_holds_everything(signed_in, two_channels):
    tipster = Client()
    post_tip(
        tipster,
        "alpha",
        {"answer-tip": "See the manifest."},
        files=[SimpleUploadedFile("manifest.txt", b"crate 7" * 30000)],
    )
    tip = Tip.objects.get()
    ana = signed_in["alpha"]
    ana.post(f"/staff/tips/{tip.id}/reply/", {"text": "Thanks."})
    file_id = tip.attachments.get().id

    download = ana.get(f"/staff/tips/{tip.id}/files/{file_id}/")
    export = ana.post(f"/staff/tips/{tip.id}/export/")

    assert b"".join(download.streaming_content) == b"crate 7" * 30000
    assert "manifest.txt" in download.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(export.streaming_content)))
    assert sorted(archive.namelist()) == [
        "answers.txt",
        "conversation.txt",
        "files/01-manifest.txt",
        "notes.txt",
        "tip.json",
    ]
    assert "See the manifest." in archive.read("answers.txt").decode()
    assert "Thanks." in archive.read("conversation.txt").decode()
    assert archive.read("files/01-manifest.txt") == b"crate 7" * 30000
    assert AuditEntry.objects.filter(action="tip-exported", target=str(tip.id)).exists()
    assert AuditEntry.objects.filter(action="file-downloaded", target=str(tip.id)).exists()


def test_a_database_thief_with_the_session_row_but_no_cookie_reads_nothing(signed_in, two_channels, settings):
    tip, _ = make_tip("alpha", "secret plans")
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = signed_in["alpha"].cookies[settings.SESSION_COOKIE_NAME].value

    response = thief.get(f"/staff/tips/{tip.id}/")

    assert response.status_code == 302 and "secret plans" not in response.content.decode()


def test_times_show_in_the_channels_zone_with_the_zone_named_and_retention_says_when(signed_in, two_channels):
    from datetime import UTC, datetime

    from tipline.core.models import Channel

    Channel.objects.filter(slug="alpha").update(time_zone="Europe/Madrid", retention_days=90)
    tip, _receipt = make_tip(
        "alpha", "date-only deadline", datetime(2026, 12, 19, 23, 0, tzinfo=UTC)
    )  # 20 Dec in Madrid
    Tip.objects.filter(pk=tip.pk).update(last_activity_hour=datetime(2026, 11, 29, 20, 0, tzinfo=UTC))

    inbox = signed_in["alpha"].get("/staff/inbox/").content.decode()
    page = signed_in["alpha"].get(f"/staff/tips/{tip.id}/").content.decode()

    assert "20 Dec 2026, 00:00 (Europe/Madrid)" in inbox and "23:00 UTC" not in inbox
    assert "deadline 20 Dec 2026, 00:00 (Europe/Madrid)" in page
    assert "To be destroyed after 27 Feb 2027: 90 days after the last activity (29 Nov 2026)." in page
