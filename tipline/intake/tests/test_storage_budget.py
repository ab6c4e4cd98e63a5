"""A channel stores at most TIPLINE_CHANNEL_FILE_MIB_PER_HOUR of tipsters' files per hour:
beyond it files are refused with 507 and the text kept, on the form, in a follow-up and
through the API, other channels are untouched, and the admins are alerted once an hour."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.alerts.models import Event
from tipline.core.models import Attachment
from tipline.intake.tests.helpers import post_tip, receipt_in, time_sensitive_answers
from tipline.intake.tests.test_upload_leaks import blobs_on_disk


def a_file(name: str = "a.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"a" * 5000)


def test_files_beyond_a_channels_hourly_budget_are_refused_and_the_admins_told_once(client, recipient_keys, settings):
    settings.CHANNEL_FILE_BYTES_PER_HOUR = 12_000
    kept = [post_tip(client, "general", {"answer-tip": f"tip {number}"}, files=[a_file()]) for number in (1, 2)]

    refused = post_tip(client, "general", {"answer-tip": "kept text"}, files=[a_file()])
    refused_again = post_tip(client, "general", {"answer-tip": "again"}, files=[a_file()])
    text_only = post_tip(client, "general", {"answer-tip": "no files"})
    elsewhere = post_tip(client, "time-sensitive", time_sensitive_answers(), files=[a_file()])

    assert [response.status_code for response in kept] == [200, 200]
    assert refused.status_code == 507 and refused_again.status_code == 507
    page = refused.content.decode()
    assert "kept text" in page and "This channel has taken as many files as it can this hour." in page
    assert 0 < int(refused["Retry-After"]) <= 3601
    assert text_only.status_code == 200 and elsewhere.status_code == 200
    assert (
        blobs_on_disk() == set(Attachment.objects.values_list("blob_name", flat=True))
        and Attachment.objects.count() == 3
    )
    alerts = Event.objects.filter(kind="storage-budget-reached")
    assert [(alert.channel.slug, alert.audience, alert.recorded_at.minute) for alert in alerts] == [
        ("general", "admins", 0)
    ]


def test_a_follow_up_and_the_api_meet_the_same_budget(client, recipient_keys, settings):
    settings.CHANNEL_FILE_BYTES_PER_HOUR = 6_000
    receipt = receipt_in(post_tip(client, "general", {"answer-tip": "first"}, files=[a_file()]))

    api = Client().post("/api/v1/followup/messages", {"receipt": receipt, "text": "more", "files": [a_file("b.txt")]})
    client.post("/check/", {"receipt": receipt})
    follow_up = client.post("/check/your-tip/", {"text": "my typed message", "files": [a_file("c.txt")]})
    words_alone = Client().post("/api/v1/followup/messages", {"receipt": receipt, "text": "words alone"})

    assert api.status_code == 507 and api.json()["code"] == "storage_budget_spent" and "Retry-After" in api.headers
    assert follow_up.status_code == 507 and "my typed message" in follow_up.content.decode()
    assert words_alone.status_code == 201
    assert (
        blobs_on_disk() == set(Attachment.objects.values_list("blob_name", flat=True))
        and Attachment.objects.count() == 1
    )
