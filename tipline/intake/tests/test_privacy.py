"""What a tipster writes is nowhere at rest in plaintext: not in the database, the blob
store, the temp directory or the logs; and nothing records who sent it."""

import logging

from django.core.files.uploadedfile import SimpleUploadedFile

from tipline.core.models import Tip
from tipline.intake.tests.helpers import post_tip, receipt_in, time_sensitive_answers

MARKERS = {
    "answer-what": "marker-what-5f1c",
    "answer-where": "marker-where-77aa",
    "answer-who": "marker-who-e3d2",
}
FILE_NAME = "marker-filename-91b0.txt"
FILE_BODY = "marker-file-body-c4d8 " * 4000  # over one upload chunk
REPLY = "marker-reply-2b6e"
REPLY_FILE = "marker-reply-file-0d3a.txt"


def test_a_tip_with_markers_everywhere_leaves_no_plaintext_and_no_client_trace(
    probe_client, privacy, recipient_keys, caplog
):
    caplog.set_level(logging.DEBUG)
    privacy.watch(*MARKERS.values(), FILE_NAME, "marker-file-body-c4d8", REPLY, REPLY_FILE)

    response = post_tip(
        probe_client,
        "time-sensitive",
        time_sensitive_answers(**MARKERS),
        files=[SimpleUploadedFile(FILE_NAME, FILE_BODY.encode(), content_type="text/plain")],
    )
    receipt = receipt_in(response)
    probe_client.post("/check/", {"receipt": receipt})
    reply = probe_client.post(
        "/check/your-tip/", {"text": REPLY, "files": [SimpleUploadedFile(REPLY_FILE, b"reply file body")]}
    )

    assert response.status_code == 200 and reply.status_code == 302
    assert Tip.objects.get().message_count == 1
    privacy.watch(receipt, receipt.replace(" ", ""))
    # the privacy fixture now scans database, blobs, temp dir and logs for every marker


def test_a_refused_tip_leaves_nothing_behind_either(probe_client, privacy, recipient_keys):
    privacy.watch("marker-refused-a81f", "marker-refused-file-body")

    response = post_tip(
        probe_client,
        "time-sensitive",
        time_sensitive_answers(**{"answer-what": "", "answer-who": "marker-refused-a81f"}),
        files=[SimpleUploadedFile("x.txt", b"marker-refused-file-body")],
    )

    assert response.status_code == 400
    assert Tip.objects.count() == 0
