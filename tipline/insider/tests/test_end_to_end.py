"""The whole path, in real time with 8-second periods: an admin's organisation and members;
a member fetches with the standalone tipline-token (tipline-token.pyz, one file run in
isolated mode, so only the standard library is there); the next period, the token goes into a tip
form in a browser with JavaScript off; a recipient signs in and sees the mark."""

import html
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tipline.core.models import Tip
from tipline.insider.models import IssuanceCount, Organisation, SpentToken
from tipline.insider.tests.conftest import make_channel, make_organisation
from tipline.members.standalone import build
from tipline.testing.staff import make_staff

pytestmark = pytest.mark.browser
PERIOD = 8


def wait_for_next_period() -> None:
    time.sleep(PERIOD - time.time() % PERIOD + 0.2)


def run_client(client: Path, store: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", str(client), "--store", str(store), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=client.parent,
    )


def test_fetch_with_the_standalone_client_then_send_without_javascript_and_see_the_mark(
    live_server, page, transactional_db, tmp_path, screenshot
):
    organisation = make_organisation("police", "Metropolitan Police", tokens=3, epoch_seconds=PERIOD)
    channel = make_channel(organisation, mode="required", slug="officers")
    from tipline.insider import admin_services

    codes = admin_services.add_members("test", organisation, "officer 1001\nofficer 1002\n")
    desk = make_staff("desk", channels=[channel.slug])
    client = build(tmp_path / "tipline-token.pyz")
    store = tmp_path / "tokens.json"

    wait_for_next_period()
    fetched = run_client(
        client, store, "fetch", "--server", live_server.url, "--organisation", "police", "--code", codes[0].code
    )
    assert fetched.returncode == 0, fetched.stderr
    assert "Fetched 3 tokens" in fetched.stdout
    assert store.stat().st_mode & 0o777 == 0o600
    too_soon = run_client(client, store, "show")
    assert too_soon.returncode == 1 and "none can be used yet" in too_soon.stderr
    status = run_client(client, store, "status")
    assert "1 of 2 members fetched" in status.stdout and "Warning: only 1 members" in status.stdout

    wait_for_next_period()
    shown = run_client(client, store, "show")
    assert shown.returncode == 0, shown.stderr
    token = shown.stdout.strip()
    assert token.startswith("tipv1:") and len(token) < 480

    page.goto(f"{live_server.url}/c/officers/")
    page.fill("#id_answer-tip", "Evidence lockers on floor 2 are opened without a log.")
    page.fill("#id_insider_token", token)
    screenshot(page, "insider-token-form")
    page.get_by_role("button", name="Send tip").click()
    assert page.locator("h1").inner_text() == "Your tip was received"

    page.goto(f"{live_server.url}/c/officers/")
    page.fill("#id_answer-tip", "A second tip with the same token.")
    page.fill("#id_insider_token", token)
    page.get_by_role("button", name="Send tip").click()
    assert "This token was used already" in html.unescape(page.content())
    assert page.locator("#id_answer-tip").input_value() == "A second tip with the same token."
    screenshot(page, "insider-token-spent")

    tip = Tip.objects.get()
    assert tip.insider_organisation == Organisation.objects.get(slug="police")
    assert IssuanceCount.objects.get().count == 3 and SpentToken.objects.count() == 1

    page.goto(f"{live_server.url}/staff/sign-in/")
    page.fill("#id_username", "desk")
    page.fill("#id_password", desk.password)
    page.get_by_role("button", name="Continue").click()
    page.fill("#id_code", desk.code())
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/staff/inbox/?insider=police")
    badge = page.locator(".badge--member")
    assert badge.count() == 1 and "Metropolitan Police" in badge.inner_text()
    screenshot(page, "insider-inbox-mark")
    page.locator("table.inbox tbody tr td.deadline a").first.click()
    assert "holds a valid member's token of Metropolitan Police" in page.locator(".notice--member").inner_text()
    screenshot(page, "insider-tip-mark")


def test_the_public_page_for_members_reads_well_without_javascript(live_server, page, transactional_db, screenshot):
    make_organisation("police", "Metropolitan Police")
    page.goto(f"{live_server.url}/insiders/police/")
    assert page.locator("h1").inner_text() == "For members of Metropolitan Police"
    assert page.locator("code.fingerprint").count() == 3
    screenshot(page, "insider-public-page")
