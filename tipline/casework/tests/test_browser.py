"""A recipient in a real browser (JavaScript off): first sign-in with a new password and an
authenticator, the inbox sorted by deadline, a tip opened, a reply, a grant, an export."""

import base64
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.oath import TOTP

from tipline.accounts.services import create_user
from tipline.audit.models import AuditEntry
from tipline.core.channel_schema import import_channel, parse_document
from tipline.testing.staff import make_staff, make_tip

pytestmark = pytest.mark.browser


@pytest.fixture
def newsroom(transactional_db):
    import_channel(
        parse_document("slug: desk\nname: News desk\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n")
    )
    login = create_user("rita", ["recipient"], ["desk"])
    now = timezone.now()
    make_tip("desk", "No deadline at all")
    make_tip("desk", "Due next week", now + timedelta(days=7))
    make_tip("desk", "Due in three hours", now + timedelta(hours=3))
    make_staff("sam", ["desk"])  # joins after the tips: needs a grant
    return login


def test_first_sign_in_then_triage_reply_grant_and_export(live_server, page, newsroom, screenshot):
    page.goto(f"{live_server.url}/staff/sign-in/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", newsroom.password)
    page.get_by_role("button", name="Continue").click()

    secret = re.sub(r"\s", "", page.locator("code.secret").inner_text())
    screenshot(page, "staff-activate")
    page.fill("#id_new_password", "rita's own long passphrase")
    page.fill("#id_repeat_password", "rita's own long passphrase")
    page.fill("#id_code", f"{TOTP(base64.b32decode(secret)).token():06d}")
    page.get_by_role("button", name="Finish setting up").click()
    assert page.locator("h1").inner_text() == "Your account is ready"
    screenshot(page, "staff-recovery-code")

    page.get_by_role("link", name="Go to the inbox").click()
    deadlines = page.locator("table.inbox tbody tr td.deadline a").all_inner_texts()
    assert deadlines[-1] == "No deadline" and len(deadlines) == 3
    assert page.locator("table.inbox tbody tr").first.locator(".badge--soon").count() == 1
    screenshot(page, "staff-inbox")
    for row in (0, 1):  # a bulk change, without JavaScript
        page.locator("table.inbox tbody tr input[type=checkbox]").nth(row).check()
    page.select_option("#bulk_status", "in_review")
    page.get_by_role("button", name="Apply to the ticked tips").click()
    assert "2 tips changed." in page.locator("p[role=status]").inner_text()
    assert page.locator("table.inbox tbody tr", has_text="In review").count() == 2
    screenshot(page, "staff-inbox-bulk")

    page.locator("table.inbox tbody tr td.deadline a").first.click()
    assert "Due in three hours" in page.locator(".answers").inner_text()
    page.fill("#reply_text", "Who else knows about this?")
    page.get_by_role("button", name="Send reply").click()
    assert "Who else knows about this?" in page.locator("#conversation").inner_text()
    page.locator("label", has_text="Internal note").click()  # its label puts the cursor in the note, not the reply
    page.keyboard.type("Only for us")
    assert page.input_value("form[action$='/note/'] textarea") == "Only for us"
    assert page.input_value("form[action$='/reply/'] textarea") == ""
    page.select_option("#id_grantee", "sam")
    page.get_by_role("button", name="Grant access").click()
    assert "Every recipient of this channel can open this tip." in page.content()
    screenshot(page, "staff-tip")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as zip").click()
    assert download.value.suggested_filename.endswith(".zip")
    page.get_by_role("link", name="Hand over as PDF, whole or redacted").click()
    page.get_by_label("Your tip").check()  # leave the answer out of the copy
    page.fill("#id_passages", "three hours")
    screenshot(page, "staff-handover")
    page.get_by_role("button", name="Download the PDF").click()  # the passage is only in the part left out
    assert page.locator(".notice li").all_inner_texts() == ["three hours"]
    screenshot(page, "staff-handover-unmatched")
    page.get_by_label("Make the copy anyway").check()
    with page.expect_download() as handed_over:
        page.get_by_role("button", name="Download the PDF").click()
    assert handed_over.value.suggested_filename.endswith("-redacted.pdf")
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {
        "account-activated",
        "tip-opened",
        "reply-sent",
        "access-granted",
        "tip-exported",
    }
