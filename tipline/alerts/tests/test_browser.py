"""An admin in a real browser (JavaScript off) with no route yet: the banner says deadline
alerts would reach nobody; they add a route on the page, send a test alert and see it
arrive; the tip's page lists each delivery of its alerts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tipline.accounts.models import User
from tipline.core.channel_schema import import_channel, parse_document
from tipline.jobs.worker import run_ready_tasks
from tipline.testing.staff import browser_sign_in, make_staff, make_tip

pytestmark = pytest.mark.browser


@pytest.fixture
def night_desk(transactional_db):
    import_channel(
        parse_document(
            "slug: desk\nname: Night desk\nfields:\n  - {key: tip, kind: long_text, label: Tip}\n"
            "  - {key: when, kind: datetime, label: When, deadline: true}\n"
        )
    )
    chief = make_staff("chief", ["desk"], admin=True)
    User.objects.filter(username="chief").update(email="chief@example.org")
    return chief


def test_an_admin_adds_a_route_tests_it_and_sees_each_delivery_on_the_tip(
    live_server, page, night_desk, smtp_server, hook_receiver, screenshot
):
    browser_sign_in(page, live_server.url, night_desk)
    banner = page.locator(".banner--alerts")
    assert "Deadline alerts of Night desk would reach nobody" in banner.inner_text()

    banner.get_by_role("link", name="Add or fix a route").click()
    page.fill("#id_name", "desk-mail")
    page.select_option("#id_kind", "email")
    page.fill("#id_target", f"smtp+plain://127.0.0.1:{smtp_server.port}")
    page.get_by_role("button", name="Add route").click()
    page.fill("#id_name", "desk-chat")
    page.select_option("#id_kind", "slack")
    page.fill("#id_target", f"{hook_receiver.url}/services/desk")
    page.get_by_role("button", name="Add route").click()
    assert page.locator(".banner--alerts").count() == 0

    page.locator("tr", has_text="desk-mail").get_by_role("button", name="Send a test alert").click()
    assert "The test alert went out through desk-mail." in page.locator("#test-result").inner_text()
    assert [message["To"] for message in smtp_server] == ["chief@example.org"]
    hook_receiver.down = True
    page.locator("tr", has_text="desk-chat").get_by_role("button", name="Send a test alert").click()
    assert "The test alert through desk-chat could not be delivered." in page.locator("#test-result").inner_text()
    assert "failing (1 failed attempt since it last worked)" in page.locator("tr", has_text="desk-chat").inner_text()
    screenshot(page, "staff-alert-routes")

    tip, _receipt = make_tip("desk", "He is released Friday 06:00", timezone.now() + timedelta(hours=3))
    run_ready_tasks()
    page.goto(f"{live_server.url}/staff/tips/{tip.pk}/")
    alerts = page.locator("section[aria-labelledby=alerts-title]").inner_text()
    assert "A new tip arrived" in alerts and "desk-mail → chief" in alerts and "delivered in the hour from" in alerts
    assert "desk-chat" in alerts and "failed 1 time" in alerts and "HTTP 503" in alerts
    screenshot(page, "staff-tip-alerts")
