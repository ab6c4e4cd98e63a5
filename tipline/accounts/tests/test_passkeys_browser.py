"""Passkeys in a real browser, with Chromium's virtual authenticator: a recipient adds a
passkey on the staff page (the one place scripts run), signs out, and signs in with the
password and the passkey instead of a code. Without scripts the code still works."""

import pytest

from tipline.accounts.models import Passkey, User
from tipline.audit.models import AuditEntry
from tipline.core.channel_schema import import_channel, parse_document
from tipline.testing.staff import browser_password_step, make_staff

pytestmark = pytest.mark.browser


@pytest.fixture
def rita(transactional_db):
    import_channel(
        parse_document("slug: desk\nname: News desk\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n")
    )
    member = make_staff("rita", ["desk"])
    User.objects.update(totp_last_step=0)
    return member


def test_a_passkey_is_added_and_then_signs_in_in_place_of_a_code(live_server, browser, rita, screenshot):
    context = browser.new_context(java_script_enabled=True)
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": False,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )

    browser_password_step(page, live_server.url, rita)
    assert page.locator("#passkey").count() == 0  # no passkey yet: only the code
    page.fill("#id_code", rita.code(0))
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/staff/passkeys/")
    page.fill("#passkey_name", "blue key")
    page.locator("#passkey").get_by_role("button", name="Add a passkey").click()
    page.wait_for_url("**/staff/passkeys/?added=1")
    assert "blue key" in page.locator("table").inner_text()
    screenshot(page, "staff-passkeys")
    page.get_by_role("button", name="Sign out (rita)").click()

    browser_password_step(page, live_server.url, rita)
    page.locator("#passkey").get_by_role("button", name="Use a passkey").click()
    page.wait_for_url("**/staff/inbox/")

    assert Passkey.objects.get().last_used_at is not None
    assert AuditEntry.objects.filter(actor="rita", action="sign-in", details__passkey="blue key").exists()
    context.close()


def test_without_scripts_the_code_page_offers_no_passkey_and_the_code_works(live_server, page, rita):
    Passkey.objects.create(user=rita.user, name="key", credential_id=b"x" * 16, public_key=b"y")

    browser_password_step(page, live_server.url, rita)
    hidden = page.locator("#passkey").is_hidden()
    page.fill("#id_code", rita.code(0))
    page.get_by_role("button", name="Sign in").click()

    assert hidden and "/staff/inbox/" in page.url
