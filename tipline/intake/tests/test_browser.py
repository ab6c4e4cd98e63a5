"""A tipster in a real browser with JavaScript off: send a tip with a file to each demo
channel, write the receipt down, come back, read the team's question and answer it."""

import pytest

from tipline.core.conversation import add_message, open_tip_for_recipient
from tipline.core.models import Author, Tip
from tipline.intake.tests.helpers import RECEIPT_PATTERN

pytestmark = pytest.mark.browser

CHANNELS = {
    "time-sensitive": {
        "#id_answer-what": "A transfer is planned through the north gate.",
        "#id_answer-where": "North gate",
        "#id_answer-when": "2099-12-04T06:00",
        "#id_answer-who": "Two guards on the night shift",
    },
    "general": {"#id_answer-tip": "The ledger in room 12 is kept twice."},
}


@pytest.fixture
def live_recipient(transactional_db, recipient_keys):
    return recipient_keys


@pytest.mark.parametrize("slug", CHANNELS)
def test_send_a_tip_come_back_and_answer_without_javascript(
    live_server, page, live_recipient, privacy, screenshot, tmp_path, slug
):
    user, private_key = live_recipient
    evidence = tmp_path / "evidence.txt"
    evidence.write_text("browser-file-marker-61c2")
    privacy.watch("browser-file-marker-61c2", *CHANNELS[slug].values())

    page.goto(live_server.url)
    page.get_by_role("link", name={"time-sensitive": "Time-sensitive report", "general": "General tip"}[slug]).click()
    for selector, value in CHANNELS[slug].items():
        page.fill(selector, value)
    if slug == "time-sensitive":
        page.select_option("#id_answer-how-known", "I saw or heard it myself")
    page.set_input_files("#id_answer-files", str(evidence))
    screenshot(page, f"{slug}-form-filled")
    page.get_by_role("button", name="Send tip").click()

    assert page.locator("h1").inner_text() == "Your tip was received"
    receipt = RECEIPT_PATTERN.search(page.locator(".receipt").inner_text()).group(0)
    assert "evidence.txt" in page.locator(".file-notes").inner_text()
    screenshot(page, f"{slug}-receipt")
    page.reload()  # a reload re-sends the form: nothing is stored twice; this browser gets the same page again
    assert receipt in page.locator(".receipt").inner_text() and "shown again" in page.content()
    assert Tip.objects.count() == 1

    tip = Tip.objects.get()
    add_message(
        tip, open_tip_for_recipient(tip, user, private_key), Author.RECIPIENT, "Can you tell us more?", sender=user
    )

    page.goto(live_server.url)
    page.get_by_role("link", name="Check on your tip").first.click()
    page.fill("#id_receipt", receipt.replace(" ", "-"))
    page.get_by_role("button", name="Open my tip").click()
    assert "Can you tell us more?" in page.locator("#conversation").inner_text()
    page.fill("#id_text", "Yes: it happens every Thursday.")
    page.get_by_role("button", name="Send message").click()
    assert "Your message was sent." in page.content()
    assert "Yes: it happens every Thursday." in page.locator("#conversation").inner_text()
    screenshot(page, f"{slug}-conversation")
    page.get_by_role("button", name="Leave and forget this session").click()
    assert page.locator("h1").inner_text() == "Send a tip"


def test_errors_are_summarised_and_the_text_survives_without_javascript(live_server, page, live_recipient, screenshot):
    page.goto(f"{live_server.url}/c/time-sensitive/")
    page.fill("#id_answer-who", "Text I do not want to type again")
    page.fill("#id_answer-when", "2001-01-01T06:00")
    page.get_by_role("button", name="Send tip").click()

    summary = page.locator(".error-summary").inner_text()
    assert "What will happen?: This field is required." in summary
    assert "This moment has already passed." in summary
    assert page.input_value("#id_answer-who") == "Text I do not want to type again"
    screenshot(page, "time-sensitive-errors")
    assert Tip.objects.count() == 0


def test_a_typo_in_the_receipt_is_pointed_out(live_server, page, live_recipient, screenshot):
    page.goto(f"{live_server.url}/check/")
    page.fill("#id_receipt", "0482 1937 5520 8813 6409 7278")
    page.get_by_role("button", name="Open my tip").click()

    assert "This receipt has a typo" in page.locator(".error").inner_text()
    screenshot(page, "check-typo")
