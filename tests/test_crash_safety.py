"""Crash safety: tips are sent while the server is killed with SIGKILL at random moments,
10 times in the everyday suite and as often as TIPLINE_TEST_CRASH_KILLS says before a release
(50: README). Every receipt that was shown opens its whole tip afterwards, every stored tip is
whole (a recipient can open it), and SQLite's integrity check passes."""

import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.system import TIPLINE, clean_environment, free_port, run_tipline

pytestmark = [pytest.mark.system, pytest.mark.sqlite_only, pytest.mark.slow]

# Each kill costs a server start (~8 s here): 10 keep the everyday suite quick, and a release
# runs 50 or more (TIPLINE_TEST_CRASH_KILLS=50).
KILLS = int(os.environ.get("TIPLINE_TEST_CRASH_KILLS", "10"))
SETUP = """
import django
django.setup()
from tipline.accounts.tokens import create_token
from tipline.operations.demo import load_demo
from tipline.testing.staff import make_staff
load_demo()
member = make_staff("auditor", ["general"])
print(create_token(member.user, member.private_key, "crash test", 1).secret_string)
"""
SETTINGS = {
    "INSECURE_FAST_KDF": "on",
    "SUBMISSIONS_PER_MINUTE": "1000000",
    "SUBMISSIONS_PER_MINUTE_PER_CHANNEL": "1000000",
    "RECEIPT_ATTEMPTS_PER_MINUTE": "1000000",
}


def api(port: int, path: str, body: dict | None = None, token: str | None = None, multipart: bool = False):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if multipart:
        data = f'--b\r\nContent-Disposition: form-data; name="answers"\r\n\r\n{json.dumps(body)}\r\n--b--\r\n'.encode()
        headers["Content-Type"] = "multipart/form-data; boundary=b"
    elif body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1{path}", data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b"null")


def serve(data_dir, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [str(TIPLINE), "serve", "--port", str(port), "--workers", "1", "--threads", "4"],
        env=clean_environment(data_dir, **SETTINGS),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/static/tipline/site.css", timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server did not come up")


def test_every_shown_receipt_survives_the_server_killed_again_and_again(tmp_path):
    assert KILLS >= 1, "TIPLINE_TEST_CRASH_KILLS must be at least 1"
    data_dir = tmp_path / "data"
    assert run_tipline(data_dir, "init").returncode == 0
    environment = clean_environment(data_dir, **SETTINGS) | {"DJANGO_SETTINGS_MODULE": "tipline.settings"}
    token = (
        subprocess.run(
            [str(TIPLINE.parent / "python"), "-c", SETUP], env=environment, check=True, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    shown: dict[str, str] = {}  # receipt -> the text it was given for
    randomness = random.Random(1234)
    port = free_port()

    for kill in range(KILLS):
        server = serve(data_dir, port)
        wait_for(port)
        stop = threading.Event()

        def tipster(number: int, stop: threading.Event = stop, kill: int = kill) -> None:
            while not stop.is_set():
                text = f"crash test tip {kill}-{number}-{randomness.random()}"
                try:
                    status, body = api(port, "/channels/general/tips", {"tip": text}, multipart=True)
                except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException):
                    return  # the server died mid-request or mid-answer: no whole receipt was shown
                if status == 201:
                    shown[body["receipt"]] = text

        threads = [threading.Thread(target=tipster, args=(number,)) for number in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(randomness.uniform(0.05, 0.6))
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        stop.set()
        for thread in threads:
            thread.join()

    server = serve(data_dir, port)
    try:
        wait_for(port)
        for receipt, text in shown.items():
            status, tip = api(port, "/followup", {"receipt": receipt})
            assert status == 200 and tip["answers"][0]["value"] == text
        listed, cursor = [], ""
        while True:
            _, page = api(port, f"/tips?after={cursor}", token=token)
            listed += [item["id"] for item in page["items"]]
            if not page["next_cursor"]:
                break
            cursor = page["next_cursor"]
        for tip_id in listed:
            status, tip = api(port, f"/tips/{tip_id}", token=token)
            assert status == 200 and tip["answers"][0]["value"].startswith("crash test tip")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()

    assert len(shown) >= KILLS  # the loop really sent tips between kills
    assert len(listed) >= len(shown)  # a tip may be stored whose receipt the killed server never sent
    with sqlite3.connect(data_dir / "tipline.sqlite3") as database:
        assert database.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
