"""Coming back with a receipt: typos told apart from unknown receipts, the conversation,
replies with files, and a session that needs both its row and its cookie."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.core.conversation import (
    add_message,
    open_tip_for_recipient,
    read_conversation,
)
from tipline.core.models import Author, Tip
from tipline.crypto import receipts
from tipline.intake.tests.helpers import post_tip, receipt_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(client, recipient_keys):
    """A tip sent to the general channel: (receipt, tip)."""
    response = post_tip(client, "general", {"answer-tip": "The warehouse on Pier 4 opens at night."})
    return receipt_in(response), Tip.objects.get()


def enter(client, receipt: str):
    return client.post("/check/", {"receipt": receipt})


def with_typo(receipt: str) -> str:
    digits = receipt.replace(" ", "")
    swapped = (
        digits[:3] + digits[4] + digits[3] + digits[5:]
        if digits[3] != digits[4]
        else digits[:3] + str((int(digits[3]) + 1) % 10) + digits[4:]
    )
    return swapped


def test_the_right_receipt_opens_the_tip_and_its_answers(client, sent):
    receipt, tip = sent

    response = enter(client, receipt.replace(" ", "-"))
    page = client.get(response.headers["Location"])

    assert response.status_code == 302
    assert "The warehouse on Pier 4 opens at night." in page.content.decode()
    assert "No messages yet." in page.content.decode()


def test_a_typo_and_an_unknown_receipt_get_different_messages(client, sent):
    receipt, _tip = sent
    unknown = receipts.new_receipt()

    typo_page = enter(client, with_typo(receipt))
    unknown_page = enter(client, unknown)
    short_page = enter(client, "1234 5678")

    assert typo_page.status_code == 400 and "This receipt has a typo" in typo_page.content.decode()
    assert unknown_page.status_code == 404 and "No tip has this receipt" in unknown_page.content.decode()
    assert short_page.status_code == 400 and "A receipt has 24 digits; this has 8." in short_page.content.decode()


def test_a_reply_from_the_team_appears_and_the_tipster_can_answer_with_a_file(client, sent, recipient_keys):
    receipt, tip = sent
    user, private_key = recipient_keys
    tip_key = open_tip_for_recipient(tip, user, private_key)
    add_message(tip, tip_key, Author.RECIPIENT, "Which night exactly?", sender=user)
    Tip.objects.filter(pk=tip.pk).update(unread_by_recipients=False)
    enter(client, receipt)

    page = client.get("/check/your-tip/").content.decode()
    answer = client.post(
        "/check/your-tip/", {"text": "Thursday, after midnight.", "files": [SimpleUploadedFile("shift.txt", b"rota")]}
    )

    assert "Which night exactly?" in page
    assert answer.status_code == 302
    after = client.get(answer.headers["Location"]).content.decode()
    assert "Your message was sent." in after and "Thursday, after midnight." in after and "shift.txt" in after
    tip.refresh_from_db()
    assert tip.message_count == 2 and tip.unread_by_recipients and tip.file_count == 1
    conversation = read_conversation(tip, tip_key)
    assert [(message.author, message.text) for message in conversation] == [
        ("recipient", "Which night exactly?"),
        ("tipster", "Thursday, after midnight."),
    ]
    assert [file.name for file in conversation[1].files] == ["shift.txt"]


def test_an_empty_reply_is_refused(client, sent):
    enter(client, sent[0])

    response = client.post("/check/your-tip/", {"text": "   "})

    assert response.status_code == 400
    assert "Write a message or add a file before sending." in response.content.decode()


def test_the_session_row_alone_opens_nothing(client, sent):
    enter(client, sent[0])
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value

    response = thief.get("/check/your-tip/")

    assert response.status_code == 302 and "ended=1" in response.headers["Location"]


def test_the_key_cookie_alone_opens_nothing(client, sent):
    enter(client, sent[0])
    thief = Client()
    thief.cookies[settings.TIPSTER_KEY_COOKIE_NAME] = client.cookies[settings.TIPSTER_KEY_COOKIE_NAME].value

    response = thief.get("/check/your-tip/")

    assert response.status_code == 302


def test_the_session_row_holds_no_tip_key_and_no_tip_id(client, sent):
    receipt, tip = sent
    enter(client, receipt)

    stored = Session.objects.get().session_data

    assert tip.id.hex not in stored and str(tip.id) not in stored


def test_leaving_forgets_the_session_and_clears_the_site(client, sent):
    enter(client, sent[0])

    response = client.post("/check/leave/")

    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert Session.objects.count() == 0
    assert client.get("/check/your-tip/").status_code == 302


def test_receipt_attempts_are_throttled_per_receipt_and_site_wide(client, sent, settings):
    settings.RECEIPT_ATTEMPTS_PER_RECEIPT = 2
    unknown = receipts.new_receipt()
    statuses = [enter(client, unknown).status_code for _ in range(3)]
    other = enter(client, sent[0])

    assert statuses == [404, 404, 429]
    assert other.status_code == 302

    settings.RECEIPT_ATTEMPTS_PER_MINUTE = 1
    assert enter(client, receipts.new_receipt()).status_code == 429


def test_a_tip_stored_under_older_receipt_parameters_still_opens(client, sent, monkeypatch):
    from tipline.core import check_in
    from tipline.crypto.kdf import KdfParams, KdfPolicy

    receipt, _tip = sent
    raised = KdfPolicy(password=check_in.kdf_policy().password, receipt=KdfParams(opslimit=2, memlimit=16 * 1024))
    monkeypatch.setattr(check_in, "kdf_policy", lambda: raised)  # parameters raised since the tip was sent

    assert enter(client, receipt).status_code == 302


def test_follow_up_messages_are_limited_per_tip_and_the_text_is_kept(client, sent, settings):
    settings.FOLLOW_UPS_PER_TIP = 3
    enter(client, sent[0])

    answers = [client.post("/check/your-tip/", {"text": f"message {number}"}) for number in range(4)]

    assert [answer.status_code for answer in answers] == [302, 302, 302, 429]
    assert "message 3" in answers[-1].content.decode() and "Too many messages" in answers[-1].content.decode()
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert Tip.objects.get().message_count == 3


def test_follow_up_messages_through_the_api_share_the_limit(client, sent, settings):
    settings.FOLLOW_UPS_PER_TIP = 1
    receipt = sent[0]

    answers = [
        client.post("/api/v1/followup/messages", {"receipt": receipt, "text": f"api {number}"}) for number in range(2)
    ]

    assert [answer.status_code for answer in answers] == [201, 429]
    assert Tip.objects.get().message_count == 1


def test_malformed_receipts_are_not_counted_so_they_cannot_lock_out_a_real_one(client, sent, settings):
    settings.RECEIPT_ATTEMPTS_PER_MINUTE = 5
    junk = [enter(Client(), "1234") for _ in range(20)] + [enter(Client(), with_typo(sent[0])) for _ in range(20)]

    real = enter(client, sent[0])

    assert {response.status_code for response in junk} == {400}
    assert real.status_code == 302
