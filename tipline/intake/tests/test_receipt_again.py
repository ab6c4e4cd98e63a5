"""A receipt whose answer was lost in transit is shown again to the browser that sent the form
(issue 32): the same receipt, reference and file notes, with the same headers, on either way a
resend meets a spent form; never to another browser, after the window, or for a tip not stored."""

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.core.models import Tip
from tipline.forms.tipster import new_form_token
from tipline.intake import views
from tipline.intake.tests.helpers import post_tip, receipt_in, time_sensitive_answers

pytestmark = pytest.mark.django_db

FILE = SimpleUploadedFile("notes-7e1a.txt", b"what I saw", content_type="text/plain")
VOLATILE_HEADERS = {"Date", "Content-Length"}


def a_browser() -> Client:
    """A test client holding a CSRF cookie, as a browser does once it has loaded a form."""
    browser = Client()
    browser.get("/c/time-sensitive/")
    assert browser.cookies[settings.CSRF_COOKIE_NAME].value
    return browser


def send(browser: Client, token: str):
    FILE.seek(0)
    return post_tip(browser, "time-sensitive", time_sensitive_answers(), files=[FILE], token=token)


def reference_in(response) -> str:
    return re.search(r'class="reference" dir="ltr">([^<]+)<', response.content.decode()).group(1)


def test_a_resend_from_the_same_browser_shows_the_same_receipt_page_with_the_same_headers(recipient_keys):
    browser, token = a_browser(), new_form_token()
    first = send(browser, token)
    again = send(browser, token)
    once_more = send(browser, token)  # a second drop can happen: it is kept for the window

    assert first.status_code == again.status_code == once_more.status_code == 200
    assert receipt_in(again) == receipt_in(once_more) == receipt_in(first)
    assert reference_in(again) == reference_in(first) == Tip.objects.get().reference
    assert "notes-7e1a.txt" in again.content.decode() and "shown again" in again.content.decode()
    assert {name: value for name, value in again.headers.items() if name not in VOLATILE_HEADERS} == {
        name: value for name, value in first.headers.items() if name not in VOLATILE_HEADERS
    }
    assert again.headers["Cache-Control"] == "no-store"
    assert Tip.objects.count() == 1


def test_a_resend_that_loses_the_race_to_store_it_shows_the_winners_receipt(recipient_keys, monkeypatch):
    browser, token = a_browser(), new_form_token()
    first = send(browser, token)
    # As when both were checked before either was stored: the second is refused by the database.
    monkeypatch.setattr(views, "form_was_sent", lambda form_token: False)
    monkeypatch.setattr(views.resends, "sent_within_the_hour", lambda *arguments: False)
    again = send(browser, token)

    assert again.status_code == 200 and receipt_in(again) == receipt_in(first)
    assert Tip.objects.count() == 1


def test_another_browser_sending_the_same_form_gets_no_receipt(recipient_keys):
    token = new_form_token()
    first = send(a_browser(), token)
    other = send(a_browser(), token)
    without_cookie = send(Client(), token)

    for refused in (other, without_cookie):
        page = refused.content.decode()
        assert refused.status_code == 409 and receipt_in(first) not in page
        assert "cannot be shown now" in page and "send the tip again as a new tip" in page


def test_after_the_window_the_page_says_why_the_receipt_cannot_be_shown(recipient_keys, settings):
    browser, token = a_browser(), new_form_token()
    first = send(browser, token)
    settings.RECEIPT_SHOWN_AGAIN_SECONDS = 0  # a window shortened holds for what was kept before

    again = send(browser, token)

    page = again.content.decode()
    assert again.status_code == 409 and receipt_in(first) not in page
    assert "nobody, not even the team, can recover it" in page
    assert "say in it that it repeats an earlier one" in page


def test_a_tip_whose_transaction_failed_shows_no_receipt_kept_for_it(recipient_keys):
    browser, token = a_browser(), new_form_token()
    send(browser, token)
    Tip.objects.all().delete()  # as if the commit had failed after the entry was written

    again = send(browser, token)

    assert again.status_code == 409 and not re.search(r"\d{4} \d{4} \d{4} \d{4} \d{4} \d{4}", again.content.decode())


def test_done_makes_the_browser_forget_so_the_receipt_is_not_shown_on_it_again(recipient_keys):
    browser, token = a_browser(), new_form_token()
    first = send(browser, token)

    done = browser.post("/check/leave/")
    browser.cookies.pop(settings.CSRF_COOKIE_NAME)  # what Clear-Site-Data asks the browser to do
    again = send(browser, token)

    assert '"cookies"' in done.headers["Clear-Site-Data"]
    assert again.status_code == 409 and receipt_in(first) not in again.content.decode()
