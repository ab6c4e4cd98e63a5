"""The reader's local pages, in a real browser with JavaScript off: read a tip, answer it, and
find that another website (no form secret) or another host name (DNS rebinding) gets nowhere."""

import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

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
    run_reader(
        tmp_path / "ana",
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
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
    page.goto(reader_pages)  # the address tipline-reader web printed: its secret is part of every path
    assert "The mayor's cousin wins every tender." in page.locator("main").inner_text()  # the list's line for the tip
    fingerprint = channel_keys.fingerprint(bytes(tip.channel_key.public_key))
    assert fingerprint in page.locator("main").inner_text()  # the same the tip line's page names
    page.get_by_role("link", name=tip.reference).click()
    page.wait_for_url(f"**/tips/{tip.reference}")
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
    base = reader_pages.rstrip("/")
    root = base.rsplit("/", 1)[0]
    # Another user or program of this computer, without the secret: nothing to read.
    assert refused_with(urllib.request.Request(f"{root}/")) == 403
    assert refused_with(urllib.request.Request(f"{root}/tips/{tip.reference}")) == 403
    assert refused_with(urllib.request.Request(f"{root}/guess/tips/{tip.reference}")) == 403
    # Another website's form: no form secret, and its browser says where it comes from.
    forged = urllib.request.Request(f"{base}/tips/{tip.reference}/reply", data=b"text=forged", method="POST")
    assert refused_with(forged) == 403
    cross_site = urllib.request.Request(f"{base}/tips/{tip.reference}", headers={"Sec-Fetch-Site": "cross-site"})
    assert refused_with(cross_site) == 403
    # A rebinding DNS name: refused whatever it holds.
    assert refused_with(urllib.request.Request(f"{base}/", headers={"Host": "attacker.example:80"})) == 421
    with urllib.request.urlopen(urllib.request.Request(f"{base}/tips/{tip.reference}")) as answer:
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
    listing = urllib.request.urlopen(reader_pages).read().decode()

    assert "<meta http-equiv" not in listing
    assert "&lt;meta http-equiv=&#x27;refresh&#x27;" in listing


class Listener(BaseHTTPRequestHandler):
    """Another program of this computer, listening on its own loopback port: it keeps the
    headers of every request a browser sends it, to try them on the reader."""

    seen: list = []

    def do_GET(self):
        self.seen.append({"path": self.path, **dict(self.headers)})
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<p>elsewhere</p>")

    def log_message(self, format, *args):
        pass


def test_a_browser_sent_to_another_local_port_hands_that_port_nothing_that_opens_the_reader(reader_pages, page):
    tip = Tip.objects.get()
    listener = HTTPServer(("127.0.0.1", 0), type("Seen", (Listener,), {"seen": []}))
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    try:
        page.goto(reader_pages)
        page.get_by_role("link", name=tip.reference).click()
        page.wait_for_url(f"**/tips/{tip.reference}")
        assert "cousin wins every tender." in page.content()
        # A taken-over server's markup, or any link, sends the recipient's browser to another port.
        page.goto(f"http://127.0.0.1:{listener.server_port}/collect")
        (seen,) = [
            request for request in listener.RequestHandlerClass.seen if request["path"] == "/collect"
        ]  # not /favicon.ico
    finally:
        listener.shutdown()
        listener.server_close()
    reader_port = urllib.parse.urlsplit(reader_pages).port
    replayed = {name: value for name, value in seen.items() if name.lower() in ("cookie", "authorization", "referer")}
    replayed["Host"] = f"127.0.0.1:{reader_port}"
    for path in ("/", f"/tips/{tip.reference}"):
        request = urllib.request.Request(f"http://127.0.0.1:{reader_port}{path}", headers=replayed)
        assert refused_with(request) in (403, 404)
    # And what the browser itself does when sent from that port back to the reader (same site,
    # another origin) is refused too, whatever it carries.
    for path in ("/", f"/tips/{tip.reference}"):
        request = urllib.request.Request(
            f"http://127.0.0.1:{reader_port}{path}", headers=replayed | {"Sec-Fetch-Site": "same-site"}
        )
        assert refused_with(request) in (403, 404)


def test_one_idle_connection_does_not_hold_up_the_pages(reader_pages):
    host, port = "127.0.0.1", urllib.parse.urlsplit(reader_pages).port
    idle = socket.create_connection((host, port))  # another local program connects and says nothing
    try:
        with urllib.request.urlopen(reader_pages, timeout=10) as answer:
            assert "cousin wins every tender." in answer.read().decode()
    finally:
        idle.close()


@pytest.mark.parametrize(
    ("locale", "heading", "button", "direction"),
    [
        ("en-GB", "Conversation with the tipster", "Seal and send reply", "ltr"),
        ("es-ES", "Notas internas", "Sellar y enviar la respuesta", "ltr"),
        ("ar", "الملاحظات الداخلية", "اختم الرد وأرسله", "rtl"),
    ],
)
def test_the_local_pages_speak_the_browsers_language(reader_pages, browser, locale, heading, button, direction):
    from tipline.testing.fixtures import PROBE_USER_AGENT

    tip = Tip.objects.get()
    context = browser.new_context(java_script_enabled=False, locale=locale, user_agent=PROBE_USER_AGENT)
    try:
        page = context.new_page()
        page.goto(reader_pages)
        page.get_by_role("link", name=tip.reference).click()
        page.wait_for_url(f"**/tips/{tip.reference}")
        assert page.locator("html").get_attribute("lang") == locale[:2]
        assert page.locator("html").get_attribute("dir") == direction
        assert heading in page.locator("main").inner_text()
        assert page.get_by_role("button", name=button).count() == 1
        assert "The mayor's cousin wins every tender." in page.content()
    finally:
        context.close()
