"""Tips full of images just under the pixel cap, sent at once into one server process: the
landing page is served while one of them is being cleaned (the others are refused at once
with 503, nothing of them stored), and the cleaner runs at a lower CPU priority than pages
(issue 31, finding 5); a tipster's ordinary photo is cleaned and stored while the flood holds
every turn for large images (issue 31, finding 5 attacked: its own lane)."""

import io
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from tests.system import TIPLINE, clean_environment, free_port, run_tipline, stop
from tests.test_crash_safety import SETTINGS, SETUP, wait_for

pytestmark = [pytest.mark.system, pytest.mark.sqlite_only]
TIPS, FILES_EACH = 3, 2
BOUNDARY = "flood"


def image_under_the_cap() -> bytes:
    """49 megapixels in some 60 KB: about a second of CPU to decode and write again."""
    output = io.BytesIO()
    Image.new("L", (7000, 7000), 255).save(output, format="PNG")
    return output.getvalue()


def ordinary_photo() -> bytes:
    """An 800 x 600 JPEG with the camera's details in it, as a phone sends one."""
    exif = Image.Exif()
    exif[0x0110] = "Phone X"  # Model
    output = io.BytesIO()
    Image.effect_noise((800, 600), 40).convert("RGB").save(output, format="JPEG", exif=exif.tobytes())
    return output.getvalue()


def tip_with_images(image: bytes, files_each: int = FILES_EACH) -> bytes:
    parts = [
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="answers"\r\n\r\n{json.dumps({"tip": "photos"})}\r\n'
        ).encode()
    ]
    for number in range(files_each):
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="photo{number}.png"\r\n'
            "Content-Type: image/png\r\n\r\n".encode()
            + image
            + b"\r\n"
        )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def send(url: str, body: bytes | None = None) -> tuple[int, dict]:
    """The status and, for a refusal, its code and Retry-After; for a tip stored, its answer."""
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"} if body else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=120) as response:
            return response.status, json.loads(response.read()) if response.status == 201 else {}
    except urllib.error.HTTPError as refusal:
        return refusal.code, {"code": json.loads(refusal.read())["code"], "retry_after": refusal.headers["Retry-After"]}


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, whichever of its threads started it (request threads do)."""
    direct = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            direct += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return direct + [grandchild for child in direct for grandchild in descendants(child)]


def cleaner_niceness(server_pid: int) -> int | None:
    """The highest niceness among the server's cleaning children, or None while none runs."""
    found = []
    for pid in descendants(server_pid):
        try:
            if b"tipline.core.metadata" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(os.getpriority(os.PRIO_PROCESS, pid))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return max(found, default=None)


def start_server(data_dir: Path, threads: int) -> tuple[subprocess.Popen, int]:
    """A demo instance in one server process with `threads` request threads, and its port."""
    assert run_tipline(data_dir, "init").returncode == 0
    environment = clean_environment(data_dir, **SETTINGS)
    subprocess.run(
        [str(TIPLINE.parent / "python"), "-c", SETUP],
        env=environment | {"DJANGO_SETTINGS_MODULE": "tipline.settings"},
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [str(TIPLINE), "serve", "--port", str(port), "--workers", "1", "--threads", str(threads)],
        env=environment,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return server, port


def test_the_landing_page_is_served_while_a_flood_of_large_images_is_cleaned(tmp_path):
    data_dir = tmp_path / "data"
    server, port = start_server(data_dir, threads=TIPS - 1)
    answers, lock = [], threading.Lock()  # in the order they arrived: ("tip" | "landing", status, headers)

    def request(what: str, path: str, body: bytes | None = None) -> None:
        status, headers = send(f"http://127.0.0.1:{port}{path}", body)
        with lock:
            answers.append((what, status, headers))

    try:
        wait_for(port)
        body = tip_with_images(image_under_the_cap())
        flood = [
            threading.Thread(target=request, args=("tip", "/api/v1/channels/general/tips", body)) for _ in range(TIPS)
        ]
        for thread in flood:
            thread.start()
        while cleaner_niceness(server.pid) is None and any(thread.is_alive() for thread in flood):
            time.sleep(0.01)
        landing = threading.Thread(target=request, args=("landing", "/"))  # while a file is being cleaned
        landing.start()
        niceness = 0
        while any(thread.is_alive() for thread in flood):  # the child lowers its priority as it starts
            niceness = max(niceness, cleaner_niceness(server.pid) or 0)
            time.sleep(0.01)
        for thread in [*flood, landing]:
            thread.join(timeout=300)
    finally:
        stop(server)

    order = [(what, status) for what, status, _ in answers]
    first_stored = order.index(("tip", 201))
    assert order.index(("landing", 200)) < first_stored, order  # not held behind the cleaning
    refused = [headers for what, status, headers in answers if what == "tip" and status == 503]
    assert refused and all(headers["code"] == "cleaning_busy" and headers["retry_after"] == "60" for headers in refused)
    assert len(refused) + order.count(("tip", 201)) == TIPS
    assert niceness == 10
    stored_blobs = [path for path in (data_dir / "blobs").rglob("*") if path.is_file()]
    assert len(stored_blobs) == FILES_EACH * order.count(("tip", 201))  # the refused tips left nothing


def test_an_ordinary_photo_is_cleaned_and_stored_while_a_flood_of_large_images_holds_their_turns(tmp_path):
    server, port = start_server(tmp_path / "data", threads=4)
    flooding, flood_answers = threading.Event(), []
    flood_body = tip_with_images(image_under_the_cap(), files_each=1)
    tips_url = f"http://127.0.0.1:{port}/api/v1/channels/general/tips"

    def flood() -> None:  # as the attacker's threads re-post their 49-megapixel image
        while flooding.is_set():
            flood_answers.append(send(tips_url, flood_body)[0])

    try:
        wait_for(port)
        flooding.set()
        attackers = [threading.Thread(target=flood) for _ in range(2)]
        for thread in attackers:
            thread.start()
        photo_answers = []
        for _ in range(5):  # each sent while a large image is being cleaned
            while cleaner_niceness(server.pid) is None:
                time.sleep(0.01)
            photo_answers.append(send(tips_url, tip_with_images(ordinary_photo(), files_each=1)))
    finally:
        flooding.clear()
        for thread in attackers:
            thread.join(timeout=120)
        stop(server)

    assert 503 in flood_answers  # the large images did hold every turn of their own
    assert [status for status, _ in photo_answers] == [201] * 5, photo_answers
    assert all(answer["files"][0]["note"].startswith("location, camera, dates") for _, answer in photo_answers)
