"""The reader's local pages, in a real browser with JavaScript off: read a tip, answer it, and
find that another website (no form secret) or another host name (DNS rebinding) gets nowhere."""

import threading
import urllib.error
import urllib.request

import pytest

from tipline.core.models import Tip
from tipline.crypto import channel_keys
from tipline.reader import web
from tipline.reader.profile import Profile
from tipline.reader.tests.conftest import PASSPHRASE, run_reader
from tipline.testing.staff import make_tip

pytestmark = pytest.mark.browser


@pytest.fixture
def reader_pages(live_server, vault_desk, tmp_path, monkeypatch, capsys):
    _people, tokens = vault_desk
    run_reader(tmp_path / "ana", "init", "--server", live_server.url, "--channel", "vault", token=tokens["ana"], monkeypatch=monkeypatch, capsys=capsys)
    make_tip("vault", "The mayor's cousin wins every tender.")
    run_reader(tmp_path / "ana", "sync", monkeypatch=monkeypatch, capsys=capsys)
    profile = Profile(tmp_path / "ana")
    server = web.serve(profile, profile.open_vault(PASSPHRASE), 0, online=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield web.address(server)
    server.shutdown()
    server.server_close()


def test_read_and_answer_in_the_local_pages_without_javascript(reader_pages, page, screenshot):
    tip = Tip.objects.get()
    page.goto(reader_pages)  # the address tipline-reader web printed: its secret becomes a cookie
    assert "secret" not in page.url
    assert "The mayor's cousin wins every tender." in page.locator("main").inner_text()  # the list's line for the tip
    fingerprint = channel_keys.fingerprint(bytes(tip.channel_key.public_key))
    assert fingerprint in page.locator("main").inner_text()  # the same the tip line's page names
    page.get_by_role("link", name=tip.reference).click()
    assert "The mayor's cousin wins every tender." in page.content()
    page.fill("#reply", "Which tenders? Any dates help.")
    screenshot(page, "reader-tip")
    page.get_by_role("button", name="Seal and send reply").click()
    assert "Which tenders? Any dates help." in page.locator("main").inner_text()
    tip.refresh_from_db()
    assert tip.message_count == 1


def refused_with(request: urllib.request.Request) -> int:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert "tender" not in refused.value.read().decode()
    return refused.value.code


def test_another_user_site_or_host_name_gets_nowhere(reader_pages):
    tip = Tip.objects.get()
    base, secret = reader_pages.split("/open?secret=")
    cookie = {"Cookie": f"{web.COOKIE}={secret}"}
    # Another user or program of this computer, without the secret: nothing to read.
    assert refused_with(urllib.request.Request(f"{base}/")) == 403
    assert refused_with(urllib.request.Request(f"{base}/tips/{tip.reference}")) == 403
    assert refused_with(urllib.request.Request(f"{base}/open?secret=guess")) == 403
    # Another website's form: no cookie (SameSite=Strict), and no form secret either.
    assert refused_with(urllib.request.Request(f"{base}/tips/{tip.reference}/reply", data=b"text=forged", method="POST")) == 403
    forged = urllib.request.Request(f"{base}/tips/{tip.reference}/reply", data=b"text=forged", method="POST", headers=cookie)
    assert refused_with(forged) == 403
    # A rebinding DNS name: refused whatever it holds.
    assert refused_with(urllib.request.Request(f"{base}/", headers={"Host": "attacker.example:80"} | cookie)) == 421
    with urllib.request.urlopen(urllib.request.Request(f"{base}/tips/{tip.reference}", headers=cookie)) as answer:
        policy = answer.headers["Content-Security-Policy"]
        assert "cousin wins every tender." in answer.read().decode()  # with the secret, it reads
    assert "default-src 'none'" in policy and "script-src" not in policy
    tip.refresh_from_db()
    assert tip.message_count == 0


def test_markup_a_taken_over_server_puts_in_a_tips_fields_is_shown_as_text(reader_pages, tmp_path):
    from tipline.reader.profile import Profile

    profile = Profile(tmp_path / "ana")
    (record,) = profile.tip_records()
    # What the server is free to write: a plain field of the tip's listing. Markup there could send
    # the recipient's browser, with the reader's cookie, to another port of this computer.
    record["message_count"] = "<meta http-equiv='refresh' content='0;url=http://127.0.0.1:1/'>"
    profile.save_tip(record)
    opened = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    listing = opened.open(reader_pages).read().decode()

    assert "<meta http-equiv" not in listing
    assert "&lt;meta http-equiv=&#x27;refresh&#x27;" in listing
