"""A receipt lost in transit (issue 32), against the real server on a real socket: a tip is
posted and the connection closed before a byte of the answer is read; once the tip is stored,
the same browser sending the same form again gets the receipt, which opens the tip; another
browser with the same form gets none; after the window, the page says why it cannot be shown.
Meanwhile the shared cache holds nothing readable of it."""

import html
import http.client
import os
import re
import secrets
import socket
import sqlite3
import time
import urllib.parse

import pytest

from tests.system import (
    SHARED_MEMORY_DIR,
    TIPLINE,
    clean_environment,
    free_port,
    run_tipline,
    stop,
    wait_until_serving,
)

pytestmark = pytest.mark.system
RECEIPT = re.compile(r"\d{4} \d{4} \d{4} \d{4} \d{4} \d{4}")
SETTINGS = {"INSECURE_FAST_KDF": "on"}
VOLATILE_HEADERS = {"date", "content-length"}


class Browser:
    """Cookies kept as a browser keeps them, over one connection per request."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, fields: dict | None = None) -> tuple[int, dict, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        body = urllib.parse.urlencode(fields).encode() if fields is not None else None
        try:
            connection.request(method, path, body, self.headers(body))
            response = connection.getresponse()
            page = response.read().decode()
        finally:
            connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, value = cookie.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return response.status, {name.lower(): value for name, value in response.getheaders()}, page

    def headers(self, body: bytes | None) -> dict:
        cookies = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        headers = {"Cookie": cookies, "Sec-Fetch-Site": "same-origin"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return headers

    def hidden_fields(self, path: str) -> dict:
        status, _, page = self.request("GET", path)
        assert status == 200
        hidden = re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page)
        return {name: html.unescape(value) for name, value in hidden}

    def send_and_drop_once(self, path: str, fields: dict, stored) -> None:
        """The request sent whole, and the connection closed once `stored()` says the tip is
        saved, without a byte of the answer read: the answer is lost in transit. (Closing at
        once instead would let the server drop a request it has not begun, which loses no tip.)"""
        body = urllib.parse.urlencode(fields).encode()
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in self.headers(body).items())
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as connection:
            connection.sendall(head.encode() + b"\r\n" + body)
            wait_until(stored)


@pytest.fixture
def database_url():
    """The PostgreSQL pass serves from a database of its own; the SQLite pass from the data directory."""
    url = os.environ.get("TIPLINE_DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield None
        return
    import psycopg

    server, name = url.rsplit("/", 1)[0], f"tipline_transit_{secrets.token_hex(4)}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def tips_stored(data_dir, database_url: str | None) -> int:
    if database_url is None:
        with sqlite3.connect(data_dir / "tipline.sqlite3") as database:
            return database.execute("SELECT count(*) FROM core_tip").fetchone()[0]
    import psycopg

    with psycopg.connect(database_url) as connection:
        return connection.execute("SELECT count(*) FROM core_tip").fetchone()[0]


def wait_until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within a minute"
        time.sleep(0.1)


def serve(data_dir, port: int, settings: dict):
    import subprocess

    server = subprocess.Popen(
        [str(TIPLINE), "serve", "--port", str(port), "--workers", "1", "--threads", "4"],
        env=clean_environment(data_dir, **settings),
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_until_serving(f"http://127.0.0.1:{port}/static/tipline/site.css", server)
    return server


def cache_contents(data_dir) -> tuple[bytes, int]:
    """Every byte of the server's shared cache, and how many receipts it keeps unexpired."""
    runtime = clean_environment(data_dir)["TIPLINE_RUNTIME_DIR"]
    assert runtime.startswith(str(SHARED_MEMORY_DIR))
    files = [path for path in sorted(os.scandir(runtime), key=lambda entry: entry.name) if path.is_file()]
    with sqlite3.connect(f"{runtime}/cache.sqlite3") as database:
        kept = database.execute(
            "SELECT count(*) FROM entries WHERE key LIKE '%receipt-again:%' AND expires > ?", (time.time(),)
        ).fetchone()[0]
    return b"".join(open(path.path, "rb").read() for path in files), kept


def lasting(headers: dict) -> dict:
    """The headers that should be the same on every receipt page: not the date or length, and
    each cookie by its name and attributes (its value is the browser's own)."""
    same = {name: value for name, value in headers.items() if name not in VOLATILE_HEADERS}
    if "set-cookie" in same:
        same["set-cookie"] = re.sub(r"=[^;]*", "=…", same["set-cookie"], count=1)
    return same


def test_a_receipt_lost_in_transit_is_shown_again_to_that_browser_only(tmp_path, database_url):
    data_dir = tmp_path / "data"
    settings = SETTINGS | ({"DATABASE_URL": database_url} if database_url else {})
    for command in ("init", "demo"):
        done = run_tipline(data_dir, command, **settings)
        assert done.returncode == 0, done.stderr
    port = free_port()
    text = f"dropped-in-transit-{secrets.token_hex(4)}"
    server = serve(data_dir, port, settings)
    try:
        tipster = Browser(port)
        form = tipster.hidden_fields("/c/general/") | {"answer-tip": text}
        tipster.send_and_drop_once("/c/general/", form, stored=lambda: tips_stored(data_dir, database_url) == 1)
        stored_at = time.time()

        status, headers, page = tipster.request("POST", "/c/general/", form)
        assert status == 200, page
        receipt = RECEIPT.search(page).group(0)
        assert "shown again" in page
        status, _, again = tipster.request("POST", "/c/general/", form)  # a second drop can happen too
        assert status == 200 and RECEIPT.search(again).group(0) == receipt

        other = Browser(port)
        other_form = other.hidden_fields("/c/general/") | {"answer-tip": text, "form_token": form["form_token"]}
        assert other.cookies != tipster.cookies
        status, _, refused = other.request("POST", "/c/general/", other_form)
        assert status == 409 and not RECEIPT.search(refused) and "cannot be shown now" in refused

        newcomer = Browser(port)
        status, first_headers, first = newcomer.request(
            "POST", "/c/general/", newcomer.hidden_fields("/c/general/") | {"answer-tip": "a tip whose answer arrives"}
        )
        assert status == 200 and RECEIPT.search(first)
        assert lasting(headers) == lasting(first_headers)
        assert headers["cache-control"] == "no-store"

        reader = Browser(port)
        check = reader.hidden_fields("/check/") | {"receipt": receipt}
        status, answer_headers, _ = reader.request("POST", "/check/", check)
        assert status == 302 and answer_headers["location"].endswith("/check/your-tip/")
        status, _, opened = reader.request("GET", "/check/your-tip/")
        assert status == 200 and text in opened
    finally:
        stop(server)

    stored, kept = cache_contents(data_dir)
    assert kept == 2, "both receipts are still kept, for their window"
    private = (receipt, receipt.replace(" ", ""), form["form_token"], tipster.cookies["tipline_csrf"], text)
    assert [found for found in private if found.encode() in stored] == []

    # The window ends (shortened here rather than waited out): what is still kept is not shown.
    server = serve(data_dir, port, settings | {"RECEIPT_SHOWN_AGAIN_SECONDS": "1"})
    try:
        time.sleep(max(0.0, stored_at + 1.5 - time.time()))
        status, _, honest = tipster.request("POST", "/c/general/", form)
    finally:
        stop(server)
    assert status == 409 and not RECEIPT.search(honest)
    assert "the tip is stored" in honest and "nobody, not even the team, can recover it" in honest
    assert "send the tip again as a new tip" in honest and "repeats an earlier one" in honest
    assert tips_stored(data_dir, database_url) == 2
