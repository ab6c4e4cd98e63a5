"""What a newcomer ran into on the tipster pages: the follow-up page in their language with
mixed-direction text shown right, no silent truncation by the browser, a message kept when
the session had ended, and a re-sent form that does not silently become a second tip."""

import html
import re

import pytest
from django.test import Client

from tipline.core.models import Tip
from tipline.forms.tipster import new_form_token
from tipline.intake.tests.helpers import post_tip, receipt_in, time_sensitive_answers

pytestmark = pytest.mark.django_db
MIXED = "الشحنة تصل at Pier 4 الليلة"


def test_the_follow_up_page_speaks_the_tipsters_language_and_lets_mixed_text_find_its_direction(client, recipient_keys):
    receipt = receipt_in(
        client.post(
            "/es/c/time-sensitive/",
            {"form_token": new_form_token(), **time_sensitive_answers(**{"answer-what": MIXED})},
        )
    )
    entered = client.post("/es/check/", {"receipt": receipt})
    client.post(entered.headers["Location"], {"text": MIXED})

    page = html.unescape(client.get(entered.headers["Location"]).content.decode())

    assert entered.headers["Location"] == "/es/check/your-tip/"
    assert "¿Cuándo va a pasar?" in page and "4 de diciembre de 2099" in page  # the label and the date in Spanish
    assert "December" not in page
    assert re.search(rf'<dd dir="auto">{re.escape(MIXED)}</dd>', page)
    assert re.search(rf'<p dir="auto">{re.escape(MIXED)}</p>', page)


def test_text_fields_say_their_limit_and_the_server_refuses_what_is_longer(client, recipient_keys, settings):
    settings.MAX_ANSWER_CHARS = 50
    form = client.get("/c/general/").content.decode()

    too_long = post_tip(client, "general", {"answer-tip": "x" * 60})

    assert "maxlength" not in form  # the browser would cut pasted text without a word
    assert "Up to 50 characters." in form
    assert too_long.status_code == 400 and Tip.objects.count() == 0
    assert "at most 50 characters (it has 60)" in html.unescape(too_long.content.decode())
    assert "x" * 60 in too_long.content.decode()


def test_a_message_written_after_the_session_ended_is_kept_for_after_the_receipt(client, recipient_keys):
    receipt = receipt_in(post_tip(client, "general", {"answer-tip": "first"}))

    ended = Client().post("/check/your-tip/", {"text": "my-kept-message-5521"})
    page = ended.content.decode()
    again = Client().post("/check/", {"receipt": receipt, "pending_text": "my-kept-message-5521"})

    assert ended.status_code == 200 and "my-kept-message-5521" in page and "enter your receipt again" in page.lower()
    assert again.status_code == 200 and "my-kept-message-5521" in again.content.decode()
    assert "not sent yet" in again.content.decode()
    assert Tip.objects.get().message_count == 0


def test_the_same_tip_sent_again_after_going_back_is_not_stored_twice_unless_asked(client, recipient_keys):
    answers = {"answer-tip": "Back, then Send again"}
    client.get("/c/general/")  # the form, and with it the browser's CSRF cookie
    first = post_tip(client, "general", answers)

    again = post_tip(client, "general", answers)  # a new form token: the page was loaded again
    meant = post_tip(client, "general", {**answers, "send_again": "on"})

    assert first.status_code == 200
    assert again.status_code == 409 and "You sent this same tip a moment ago" in html.unescape(again.content.decode())
    assert "Back, then Send again" in again.content.decode()
    assert meant.status_code == 200 and Tip.objects.count() == 2


def test_another_browser_sending_the_same_words_is_a_new_tip(recipient_keys):
    answers = {"answer-tip": "The same short report from two people"}
    browsers = [Client(), Client()]
    for browser in browsers:
        browser.get("/c/general/")

    sent = [post_tip(browser, "general", answers).status_code for browser in browsers]

    assert sent == [200, 200] and Tip.objects.count() == 2
