"""In a real browser with JavaScript off: a leave-out form lists only recipients a tipster
can tell apart (issue 32: two boxes both read "A recipient without a public name"), says
how many others will read the tip, and a tip sent leaving out every listed one still
reaches those others."""

import pytest

from tipline.core.channel_schema import import_channel, parse_document
from tipline.core.models import Tip, TipKeyGrant
from tipline.testing.staff import make_staff

pytestmark = pytest.mark.browser

DESK = (
    "slug: desk\nname: Desk\ntipsters_may_leave_out: true\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"
)


@pytest.fixture
def desk(db):
    import_channel(parse_document(DESK))
    people = {name: make_staff(name, ["desk"]) for name in ("ana", "ben", "cai", "dee", "eve")}
    for name, shown in (("ana", "Editor"), ("dee", "Lawyer"), ("eve", "lawyer\u200b ")):  # ben, cai: no name
        people[name].user.display_name = shown
        people[name].user.save(update_fields=["display_name"])
    return people


def test_only_recipients_a_tipster_can_tell_apart_are_offered(live_server, page, desk, screenshot):
    page.goto(f"{live_server.url}/c/desk/")
    boxes = page.get_by_role("group", name="Leave out of this tip").get_by_role("checkbox")
    labels = [page.locator(f"label[for='{box.get_attribute('id')}']").inner_text().strip() for box in boxes.all()]
    help_text = page.locator("form").inner_text()
    screenshot(page, "tipster-leave-out-told-apart")

    assert labels == ["Editor"]  # not the two without a name, nor the two lawyers who read the same
    assert "4 more recipients have no name here that you could tell apart from another" in help_text
    assert "A recipient without a public name" not in page.content()

    page.fill("textarea", "The invoices are signed twice.")
    boxes.first.check()
    page.get_by_role("button", name="Send").click()
    assert "receipt" in page.locator("main").inner_text().lower()
    tip = Tip.objects.get()
    assert set(TipKeyGrant.objects.filter(tip=tip).values_list("recipient__username", flat=True)) == {
        "ben",
        "cai",
        "dee",
        "eve",
    }
