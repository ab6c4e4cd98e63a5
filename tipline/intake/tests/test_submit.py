"""Sending a tip through the form: validation that keeps the text, one transaction, one receipt."""

import json
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.test import Client

from tipline.core import blobs
from tipline.core.conversation import open_tip_for_recipient, read_answers
from tipline.core.models import Channel, Tip, TipKeyGrant
from tipline.crypto import receipts
from tipline.intake.tests.helpers import post_tip, receipt_in, time_sensitive_answers
from tipline.testing import environment

pytestmark = pytest.mark.django_db


def blob_files():
    blob_dir = environment.DATA_DIR / "blobs"
    return sorted(blob_dir.iterdir()) if blob_dir.exists() else []


def test_the_form_shows_every_field_and_the_before_you_send_panel(client, demo_channels):
    response = client.get("/c/time-sensitive/")

    page = response.content.decode()
    assert response.status_code == 200
    for label in (
        "What will happen?",
        "Where?",
        "When will it happen?",
        "Who is involved?",
        "How do you know this?",
        "Files (optional)",
    ):
        assert label in page
    assert "Before you send" in page and 'type="datetime-local"' in page and 'enctype="multipart/form-data"' in page


def test_a_valid_tip_is_stored_encrypted_and_the_receipt_shown_once(client, recipient_keys):
    user, private_key = recipient_keys

    response = post_tip(client, "time-sensitive", time_sensitive_answers())

    assert response.status_code == 200
    receipt = receipt_in(response)
    assert receipts.normalise(receipt)
    tip = Tip.objects.get()
    assert tip.received_hour.minute == tip.received_hour.second == 0
    assert tip.deadline == datetime(2099, 12, 4, 6, 0, tzinfo=UTC)
    assert tip.status == "new" and tip.message_count == 0
    answers = {answer.key: answer.value for answer in read_answers(tip, open_tip_for_recipient(tip, user, private_key))}
    assert answers["what"] == "A transfer of detainee R. is planned."
    assert answers["how-known"] == "Someone told me"
    assert b"detainee" not in bytes(tip.answers_ciphertext)
    assert response.headers["Cache-Control"] == "no-store"


def test_every_recipient_of_the_channel_gets_a_sealed_key(client, recipient_keys):
    post_tip(client, "general", {"answer-tip": "hello"})

    assert TipKeyGrant.objects.count() == 2  # the demo recipient and the test recipient


def test_the_deadline_is_read_in_the_channels_time_zone(client, demo_channels, recipient_keys):
    Channel.objects.filter(slug="time-sensitive").update(time_zone="Europe/Berlin")

    post_tip(client, "time-sensitive", time_sensitive_answers(**{"answer-when": "2099-07-01T08:30"}))

    assert Tip.objects.get().deadline == datetime(2099, 7, 1, 6, 30, tzinfo=UTC)


def test_sending_the_same_form_twice_stores_one_tip_and_shows_no_second_receipt(client, recipient_keys):
    from tipline.forms.tipster import new_form_token

    token = new_form_token()
    first = post_tip(client, "general", {"answer-tip": "only once"}, token=token)
    again = post_tip(client, "general", {"answer-tip": "only once"}, token=token)

    assert first.status_code == 200 and again.status_code == 409
    assert Tip.objects.count() == 1
    assert "was already sent" in again.content.decode()
    assert not receipts.CANDIDATE_PATTERN.search(again.content.decode())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("answer-when", "tomorrow morning", "Enter a valid date/time."),
        ("answer-when", "2001-01-01T06:00", "This moment has already passed."),
        ("answer-how-known", "A bird told me", "Select a valid choice."),
        ("answer-what", "", "This field is required."),
        ("answer-where", "x" * 301, "Ensure this value has at most 300 characters"),
        ("answer-what", "my receipt 0482 1937 5520 8813 6409 7277", "This looks like a receipt."),
    ],
)
def test_a_bad_value_is_explained_next_to_its_field_and_the_text_is_kept(client, recipient_keys, field, value, message):
    typed = time_sensitive_answers(**{field: value, "answer-who": "kept-text-7731"})

    response = post_tip(client, "time-sensitive", typed)

    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert "kept-text-7731" in page
    assert "Please check what you wrote" in page
    assert Tip.objects.count() == 0


@pytest.mark.parametrize(
    ("kind", "good", "bad", "message"),
    [
        ("number", "4.5", "forty", "Enter a number."),
        ("number", "3", "11", "Ensure this value is less than or equal to 10."),
        ("date", "2030-02-28", "2030-02-30", "Enter a valid date."),
        ("multi_select", ["red", "blue"], ["green"], "Select a valid choice."),
        ("checkbox", "on", None, "This field is required."),
    ],
)
def test_every_field_kind_accepts_good_values_and_refuses_bad_ones(client, recipient_keys, kind, good, bad, message):
    from tipline.core.channel_schema import import_channel, parse_document

    spec = {"key": "value", "kind": kind, "label": "The value", "required": True}
    if kind == "number":
        spec |= {"min_value": 0, "max_value": 10}
    if kind == "multi_select":
        spec["choices"] = ["red", "blue"]
    channel, _ = import_channel(
        parse_document(json.dumps({"slug": "kinds", "name": "Kinds", "fields": [spec]}), "x.json")
    )
    channel.recipients.add(recipient_keys[0])

    refused = post_tip(client, "kinds", {"answer-value": bad} if bad is not None else {})
    accepted = post_tip(client, "kinds", {"answer-value": good})

    assert refused.status_code == 400 and message in refused.content.decode()
    assert accepted.status_code == 200, accepted.content.decode()[:2000]


def test_a_huge_answer_is_refused_with_a_clear_message(client, recipient_keys, settings):
    settings.MAX_ANSWER_CHARS = 1000

    response = post_tip(client, "general", {"answer-tip": "y" * 5000})

    assert response.status_code == 400
    assert "Ensure this value has at most 1000 characters (it has 5000)." in response.content.decode()


def test_an_empty_tip_is_refused(client, demo_channels):
    Channel.objects.get(slug="time-sensitive").fields.update(required=False)

    response = post_tip(client, "time-sensitive", {})

    assert response.status_code == 400
    assert "Your tip is empty." in response.content.decode()


def test_a_missing_csrf_token_sends_nothing_but_keeps_the_text(recipient_keys):
    client = Client(enforce_csrf_checks=True)

    response = post_tip(client, "general", {"answer-tip": "typed before cookies were cleared"})

    assert response.status_code == 403
    assert "typed before cookies were cleared" in response.content.decode()
    assert "security token" in response.content.decode()
    assert Tip.objects.count() == 0


def test_a_cross_site_post_is_refused_without_echoing_its_text(recipient_keys):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/c/general/", {"answer-tip": "planted by another site"}, HTTP_SEC_FETCH_SITE="cross-site")

    assert response.status_code == 403
    assert "planted by another site" not in response.content.decode()


def test_a_body_of_the_wrong_content_type_is_refused_without_a_server_error(client, recipient_keys):
    response = client.post("/c/general/", data=json.dumps({"answer-tip": "x"}), content_type="application/json")

    assert response.status_code == 400
    assert Tip.objects.count() == 0


def test_too_many_submissions_say_when_to_try_again_and_keep_the_text(client, recipient_keys, settings):
    settings.SUBMISSIONS_PER_MINUTE_PER_CHANNEL = 2
    for number in range(2):
        assert post_tip(client, "general", {"answer-tip": f"tip {number}"}).status_code == 200

    response = post_tip(client, "general", {"answer-tip": "the third one, kept"})

    assert response.status_code == 429
    assert "Too many tips are arriving right now." in response.content.decode()
    assert "the third one, kept" in response.content.decode()
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    assert Tip.objects.count() == 2


def test_a_channel_nobody_can_read_takes_no_tips(client, db):
    Channel.objects.create(slug="orphan", name="Orphan")

    page = client.get("/c/orphan/")

    assert "not taking tips right now" in page.content.decode()
    assert "<form method" not in page.content.decode().split("Before you send")[1]


def test_a_failure_before_commit_leaves_no_tip_no_blob_and_no_receipt(client, recipient_keys, monkeypatch):
    def fail(*args, **kwargs):
        raise DatabaseError("disk full (injected)")

    monkeypatch.setattr(TipKeyGrant.objects, "bulk_create", fail)
    photo = SimpleUploadedFile("note.txt", b"evidence body", content_type="text/plain")

    response = post_tip(client, "time-sensitive", time_sensitive_answers(), files=[photo])

    page = response.content.decode()
    assert response.status_code == 503
    assert "could not be stored" in page and "A transfer of detainee R. is planned." in page
    assert not receipts.CANDIDATE_PATTERN.search(page)
    assert Tip.objects.count() == 0
    assert blob_files() == []


def test_a_file_over_the_size_limit_is_refused_and_nothing_is_kept(client, recipient_keys, settings):
    settings.MAX_FILE_BYTES = 1000
    big = SimpleUploadedFile("big.bin", b"z" * 5000)

    response = post_tip(client, "general", {"answer-tip": "see file"}, files=[big])

    assert response.status_code == 413
    assert "“big.bin” is larger than the limit" in response.content.decode()
    assert Tip.objects.count() == 0 and blob_files() == []


def test_too_many_files_are_refused(client, recipient_keys, settings):
    settings.MAX_FILES_PER_TIP = 2
    three = [SimpleUploadedFile(f"f{number}.txt", b"data") for number in range(3)]

    response = post_tip(client, "general", {"answer-tip": "see files"}, files=three)

    assert response.status_code == 413
    assert "At most 2 files can be sent at once." in response.content.decode()
    assert blob_files() == []


def test_an_invalid_form_discards_uploaded_files_and_says_so(client, recipient_keys):
    photo = SimpleUploadedFile("note.txt", b"evidence", content_type="text/plain")

    response = post_tip(client, "time-sensitive", time_sensitive_answers(**{"answer-what": ""}), files=[photo])

    assert response.status_code == 400
    assert "Files you chose were not kept. Please choose them again" in response.content.decode()
    assert blob_files() == []


def test_uploads_land_only_as_ciphertext_in_the_blob_store(client, recipient_keys):
    body = b"plain file body marker 9911 " * 100
    upload = SimpleUploadedFile("plain.txt", body, content_type="text/plain")

    post_tip(client, "general", {"answer-tip": "with a file"}, files=[upload])

    stored = blob_files()
    assert len(stored) == 1
    assert b"marker 9911" not in stored[0].read_bytes()
    assert blobs.exists(stored[0].name)


def test_help_and_error_texts_are_tied_to_their_fields(client, recipient_keys):
    import re

    page = post_tip(client, "time-sensitive", time_sensitive_answers(**{"answer-what": ""})).content.decode()

    described = re.search(r'<textarea name="answer-what"[^>]*aria-describedby="([^"]+)"', page).group(1).split()
    assert described and all(f'id="{element_id}"' in page for element_id in described)
    assert 'aria-invalid="true"' in page


@pytest.mark.parametrize("moment", ["9999-12-31T23:00", "0001-01-01T00:30"])
def test_a_date_at_the_edge_of_the_calendar_is_refused_with_the_text_kept(
    client, demo_channels, recipient_keys, moment
):
    Channel.objects.filter(slug="time-sensitive").update(time_zone="America/New_York")

    response = post_tip(
        client, "time-sensitive", time_sensitive_answers(**{"answer-when": moment, "answer-what": "kept text 8812"})
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "between the years 1900 and 2999" in page and "kept text 8812" in page
    assert not Tip.objects.exists()
