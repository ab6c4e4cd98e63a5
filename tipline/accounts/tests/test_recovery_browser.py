"""In a real browser with JavaScript off: a recipient who forgot the password gets back in
with the recovery code, reads a tip sealed before, and changes the password; another who
lost the phone connects a new authenticator with the password and the recovery code."""

import base64
import re

import pytest
from django_otp.oath import TOTP

from tipline.accounts.models import User
from tipline.core.channel_schema import import_channel, parse_document
from tipline.testing.staff import make_staff, make_tip

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(transactional_db):
    import_channel(
        parse_document("slug: desk\nname: News desk\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n")
    )
    people = {"rita": make_staff("rita", ["desk"]), "sam": make_staff("sam", ["desk"])}
    User.objects.update(totp_last_step=0)  # the browser's codes may fall in the step activation used
    tip, _receipt = make_tip("desk", "The shipment leaves at dawn")
    return people, tip


def test_a_forgotten_password_and_a_lost_phone_without_an_admin(live_server, page, desk, screenshot):
    people, tip = desk
    rita, sam = people["rita"], people["sam"]
    new_password = "rita's brand new passphrase"

    page.goto(f"{live_server.url}/staff/sign-in/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.fill("#id_username", "rita")
    page.fill("#id_recovery_code", rita.recovery_code)
    page.fill("#id_code", rita.code(0))
    page.fill("#id_new_password", new_password)
    page.fill("#id_repeat_password", new_password)
    screenshot(page, "staff-recover-password")
    page.get_by_role("button", name="Set the new password").click()
    assert page.locator("h1").inner_text() == "Your new password is set"
    assert page.locator("#recovery-code").inner_text() != rita.recovery_code
    screenshot(page, "staff-recovered")

    page.get_by_role("link", name="Sign in").click()
    page.fill("#id_username", "rita")
    page.fill("#id_password", new_password)
    page.get_by_role("button", name="Continue").click()
    page.fill("#id_code", rita.code(1))
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/staff/tips/{tip.pk}/")
    assert "The shipment leaves at dawn" in page.locator(".answers").inner_text()

    page.get_by_role("link", name="Password").click()
    page.fill("#id_current_password", new_password)
    page.fill("#id_new_password", "and yet another long passphrase")
    page.fill("#id_repeat_password", "and yet another long passphrase")
    page.get_by_role("button", name="Change the password").click()
    assert "Your password is changed" in page.locator(".notice").inner_text()
    assert User.objects.get(username="rita").check_password("and yet another long passphrase")

    other = page.context.browser.new_context(java_script_enabled=False).new_page()
    other.goto(f"{live_server.url}/staff/sign-in/new-authenticator/")
    other.fill("#id_username", "sam")
    other.fill("#id_password", sam.password)
    other.fill("#id_recovery_code", sam.recovery_code)
    other.get_by_role("button", name="Continue").click()
    secret = re.sub(r"\s", "", other.locator("code.secret").inner_text())
    screenshot(other, "staff-new-authenticator")
    other.fill("#id_code", f"{TOTP(base64.b32decode(secret)).token():06d}")
    other.get_by_role("button", name="Connect it").click()
    assert other.locator("h1").inner_text() == "Your new authenticator is connected"
    other.get_by_role("link", name="Go to the inbox").click()
    assert "/staff/inbox/" in other.url
