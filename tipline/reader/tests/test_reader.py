"""tipline-reader end to end against a running tip line: a tipster sends a tip with a file to
an offline-key channel with JavaScript off; the reader fetches, decrypts and replies on the
recipient's side; the tipster reads the reply with the receipt. The server, meanwhile, shows
its staff only what it knows."""

import pytest

from tipline.core.models import Channel, ChannelKey, Tip
from tipline.core.tips import channel_is_receiving
from tipline.intake.tests.helpers import RECEIPT_PATTERN
from tipline.reader.tests.conftest import run_reader
from tipline.testing.staff import browser_sign_in

TIP_TEXT = "The harbour master signs the forged manifests on Fridays."


@pytest.mark.browser
def test_a_tip_read_and_answered_in_the_reader_only(live_server, page, vault_desk, tmp_path, monkeypatch, capsys, privacy, screenshot):
    people, tokens = vault_desk
    profile = tmp_path / "ana-reader"
    assert not channel_is_receiving(Channel.objects.get(slug="vault"))  # no key yet: no tips taken

    printed = run_reader(profile, "init", "--server", live_server.url, "--channel", "vault", token=tokens["ana"], monkeypatch=monkeypatch, capsys=capsys)
    assert "seals every new tip to this key only" in printed
    assert ChannelKey.objects.filter(channel__slug="vault", retired_at__isnull=True).count() == 1

    evidence = tmp_path / "manifest.txt"
    evidence.write_text("manifest-marker-8d1f")
    privacy.watch(TIP_TEXT, "manifest-marker-8d1f", "We have read it")
    page.goto(f"{live_server.url}/c/vault/")
    page.fill("#id_answer-tip", TIP_TEXT)
    page.set_input_files("#id_answer-files", str(evidence))
    page.get_by_role("button", name="Send tip").click()
    receipt = RECEIPT_PATTERN.search(page.locator(".receipt").inner_text()).group(0)
    tip = Tip.objects.get()
    assert tip.channel_key is not None and not tip.grants.exists()

    printed = run_reader(profile, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert "fetched 1 tips and 1 new files" in printed
    shown = run_reader(profile, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)
    assert TIP_TEXT in shown and "manifest.txt" in shown
    file_id = str(tip.attachments.get().id)
    run_reader(profile, "save-file", tip.reference, file_id, "--out", str(tmp_path / "saved.txt"), monkeypatch=monkeypatch, capsys=capsys)
    assert (tmp_path / "saved.txt").read_text() == "manifest-marker-8d1f"
    (tmp_path / "saved.txt").unlink()
    evidence.unlink()

    run_reader(profile, "reply", tip.reference, "--text", "We have read it. Who else signs them?", "--purpose", "acknowledgement", monkeypatch=monkeypatch, capsys=capsys)
    tip.refresh_from_db()
    assert tip.message_count == 1 and tip.acknowledged_hour is not None

    browser_sign_in(page, live_server.url, people["ben"])
    page.goto(f"{live_server.url}/staff/tips/{tip.id}/")
    assert "Read in tipline-reader" in page.content() and TIP_TEXT not in page.content()
    screenshot(page, "staff-tip-in-reader")

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Check on your tip").first.click()
    page.fill("#id_receipt", receipt)
    page.get_by_role("button", name="Open my tip").click()
    assert "We have read it. Who else signs them?" in page.locator("#conversation").inner_text()
    assert TIP_TEXT in page.content()
    screenshot(page, "tipster-reads-reader-reply")
