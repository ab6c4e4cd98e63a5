"""In a real browser: an admin's reset of a tip's only reader stops at a page that says the
tip would be lost and asks for its number; once done, the tipster (JavaScript off) is told
nobody can open the tip now instead of a date for an answer."""

import pytest

from tipline.core.channel_schema import import_channel, parse_document
from tipline.core.models import TipKeyGrant
from tipline.testing.staff import browser_sign_in, make_staff, make_tip

pytestmark = pytest.mark.browser

DESK = "slug: desk\nname: Desk\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"


def test_the_admin_types_the_number_and_the_tipster_is_told_the_truth(live_server, page, desk_alone, screenshot):
    tip, receipt = desk_alone
    browser_sign_in(page, live_server.url, make_staff("ada", admin=True))
    page.goto(f"{live_server.url}/staff/admin/users/")
    page.locator("tr", has_text="ana").get_by_role("button", name="Reset with a one-time password").click()
    confirmation = page.locator("#confirm-reset")
    screenshot(page, "admin-reset-asks-for-the-number")

    assert "1 tip would be unreadable for good" in confirmation.inner_text()
    page.get_by_label("Type 1 to confirm that 1 tip will stay unreadable for good").fill("1")
    page.get_by_role("button", name="Reset, and lose those tips").click()
    assert "1 tip can no longer be read by anyone" in page.locator("main").inner_text()
    assert TipKeyGrant.objects.get(tip=tip).lapsed

    tipster = page.context.browser.new_context(java_script_enabled=False).new_page()
    tipster.goto(f"{live_server.url}/check/")
    tipster.get_by_label("Receipt").fill(receipt)
    tipster.get_by_role("button", name="Open").click()
    screenshot(tipster, "tipster-tip-nobody-can-read")
    told = tipster.locator("main").inner_text()
    assert "nobody on the team can open it now" in told and "will confirm receipt by" not in told
    assert "The team may write to you here" not in told


@pytest.fixture
def desk_alone(db):
    import_channel(parse_document(DESK))
    make_staff("ana", ["desk"])
    return make_tip("desk", "The depot's manager sells the seized fuel.")
