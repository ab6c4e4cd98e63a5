"""Abuse floods against the production server (granian, 2 workers x 4 threads, production
Argon2id): what share of real tipsters' requests still succeed while one client floods,
with no proxy header to tell clients apart (as over Tor). One scenario per flood; main()
runs each and prints its figures (benchmarks/RESULTS.md keeps them).

Run: .venv/bin/python benchmarks/abuse.py [--database sqlite|postgresql] [--seconds 60] [--port N]

- unknown receipts and junk tips (issue 31, finding 2): one client sends ten times the
  old limits, 600 well-formed unknown receipts and 300 junk tips to one channel a minute,
  paced evenly, while two tipsters each check in (page, API) or send a tip (page, API) every
  two seconds. Beside them, the lock-outs found in that fix: 8 empty tip posts a second
  (valid for nothing, costing no Argon2id), and 48 receipts of the client's own junk tips
  cycled by 16 threads, 600 check-ins a minute.
- landing-page p99 during the cleaning flood (issue 31, finding 5): 8 tipsters each send a
  tip with 10 PNGs of 49 megapixels (just under TIPLINE_MAX_CLEANABLE_PIXELS, about 60 KB
  each), all at once, and send it again 2 s after each refusal (not waiting the minute of
  Retry-After), until all 8 are stored; meanwhile a visitor loads the landing page every
  0.2 s, each load timed from when it was due (a stalled server delays them all). Prints the
  landing page's p50 / p99 / max, the time until all 8 tips were stored, the answers the
  flood got and the server's memory after it. Target: landing-page p99 under 1 s.
- an ordinary photo during a flood of large images (issue 31, finding 5, as attacked): 4
  threads re-post a tip with one 49-megapixel PNG without pause, while a tipster sends a tip
  with an 800 x 600 JPEG every second. Prints the share of the tipster's tips stored (target:
  all of them) and the answers the flood got.

Run one scenario alone with --only N (1, 2 or 3, in the order above).
"""

import argparse
import http.cookiejar
import io
import itertools
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_for, free_port, percentile, start_server, stop_server
from files import server_rss_mib
from submit import send_by_api, send_by_page

OLD_RECEIPT_LIMIT, OLD_CHANNEL_LIMIT = 60, 30  # a minute, before finding 2
SEED_RECEIPTS = 12  # one receipt may be tried 10 times in 10 minutes: tipsters go round these
OWN_RECEIPTS, OWN_RECEIPT_THREADS, EMPTY_POSTS_PER_SECOND = 48, 16, 8  # the attacker's, from their own junk tips
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
BOUNDARY = "tiplineabuseboundary"
# The cleaning flood measures cleaning alone: no submission limit refuses its tips.
NO_SUBMISSION_LIMITS = {"SUBMISSIONS_PER_MINUTE": "1000000", "SUBMISSIONS_PER_MINUTE_PER_CHANNEL": "1000000"}
RESEND_AFTER_SECONDS = 2.0
LANDING_EVERY_SECONDS = 0.2


@dataclass
class Tally:
    """Outcomes of one kind of request: successes, refusals by status, latencies of successes."""

    succeeded: int = 0
    refused: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, started: float, ok: bool, status: int) -> None:
        with self.lock:
            if ok:
                self.succeeded += 1
                self.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                self.refused[status] = self.refused.get(status, 0) + 1

    def line(self, name: str) -> str:
        total = self.succeeded + sum(self.refused.values())
        share = self.succeeded / total if total else float("nan")
        latency = (
            f"p50 {percentile(self.latencies_ms, 0.5):6.0f} ms  p99 {percentile(self.latencies_ms, 0.99):6.0f} ms"
            if self.latencies_ms
            else ""
        )
        return (
            f"  {name:34s} {self.succeeded:5d} of {total:5d} succeeded ({share:6.1%})  refused {self.refused}  "
            f"{latency}"
        )


def attempt(tally: Tally, request) -> None:
    """Run `request` (True when it got what a person wanted) and count how it went."""
    started = time.perf_counter()
    try:
        tally.record(started, request(), 200)
    except urllib.error.HTTPError as error:
        tally.record(started, False, error.code)
    except (urllib.error.URLError, OSError):
        tally.record(started, False, 0)


def paced(rate_per_second: float, stop_at: float, action) -> None:
    """Call `action` at an even rate until `stop_at`, catching up when behind (an open loop:
    a slow server does not slow the flood down)."""
    interval, next_at = 1 / rate_per_second, time.monotonic()
    while next_at < stop_at:
        time.sleep(max(0.0, next_at - time.monotonic()))
        action()
        next_at += interval


def run_threads(targets: list) -> None:
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def check_in_by_api(port: int, receipt: str) -> bool:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/followup",
        data=json.dumps({"receipt": receipt}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status == 200


def check_in_by_page(port: int, receipt: str) -> bool:
    """What a browser does: load the check page (its CSRF cookie), post the receipt, follow
    the redirect to the tip."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    address = f"http://127.0.0.1:{port}/check/"
    with browser.open(address, timeout=60) as page:
        token = CSRF.search(page.read().decode()).group(1)
    request = urllib.request.Request(
        address,
        data=urllib.parse.urlencode({"csrfmiddlewaretoken": token, "receipt": receipt}).encode(),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"},
    )
    with browser.open(request, timeout=60) as answer:
        return answer.status == 200 and answer.url.endswith("/check/your-tip/")


def seed_receipts(port: int, count: int) -> list[str]:
    receipts = []
    for number in range(count):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/channels/general/tips",
            method="POST",
            data='--b\r\nContent-Disposition: form-data; name="answers"\r\n\r\n'
            f"{json.dumps({'tip': f'seed {number}'})}\r\n--b--\r\n".encode(),
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            receipts.append(json.loads(response.read())["receipt"])
    return receipts


def send_empty_tip(port: int) -> bool:
    """A tip with no answers: refused as invalid (400), as it should be."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/channels/general/tips",
        method="POST",
        data=b'--b\r\nContent-Disposition: form-data; name="answers"\r\n\r\n{}\r\n--b--\r\n',
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status == 201


def flood_of_unknown_receipts_and_junk_tips(port: int, server, seconds: float) -> list[str]:
    """Issue 31, finding 2: ten times the old limits from one client, no proxy header."""
    from tipline.crypto import receipts as receipt_codes

    held = seed_receipts(port, SEED_RECEIPTS)
    own = seed_receipts(port, OWN_RECEIPTS)
    tallies = {
        name: Tally()
        for name in (
            "flood: unknown receipts (API)",
            "flood: junk tips (API)",
            "flood: empty tip posts (API)",
            "flood: own receipts (API)",
            "tipster: check-in by page",
            "tipster: check-in by API",
            "tipster: tip by page",
            "tipster: tip by API",
        )
    }
    stop_at = time.monotonic() + seconds
    counter, counter_lock = [0], threading.Lock()

    def next_number() -> int:
        with counter_lock:
            counter[0] += 1
            return counter[0]

    def unknown_receipt() -> None:
        attempt(tallies["flood: unknown receipts (API)"], lambda: check_in_by_api(port, receipt_codes.new_receipt()))

    def junk_tip() -> None:
        attempt(tallies["flood: junk tips (API)"], lambda: send_by_api(port, 10**7 + next_number()))

    own_turns = itertools.count()  # apart from next_number, which sets the tipsters' turns

    def empty_post() -> None:
        attempt(tallies["flood: empty tip posts (API)"], lambda: send_empty_tip(port))

    def own_receipt() -> None:
        attempt(tallies["flood: own receipts (API)"], lambda: check_in_by_api(port, own[next(own_turns) % len(own)]))

    def tipster_action() -> None:
        number = next_number()
        receipt = held[number % len(held)]
        kind = number % 4
        if kind == 0:
            attempt(tallies["tipster: check-in by page"], lambda: check_in_by_page(port, receipt))
        elif kind == 1:
            attempt(tallies["tipster: check-in by API"], lambda: check_in_by_api(port, receipt))
        elif kind == 2:
            attempt(tallies["tipster: tip by page"], lambda: send_by_page(port, number))
        else:
            attempt(tallies["tipster: tip by API"], lambda: send_by_api(port, number))

    receipt_rate, tip_rate, senders = 10 * OLD_RECEIPT_LIMIT / 60, 10 * OLD_CHANNEL_LIMIT / 60, 4
    run_threads(
        [lambda: paced(receipt_rate / senders, stop_at, unknown_receipt)] * senders
        + [lambda: paced(tip_rate / senders, stop_at, junk_tip)] * senders
        + [lambda: paced(EMPTY_POSTS_PER_SECOND, stop_at, empty_post)]
        + [lambda: paced(receipt_rate / OWN_RECEIPT_THREADS, stop_at, own_receipt)] * OWN_RECEIPT_THREADS
        + [lambda: paced(0.5, stop_at, tipster_action)] * 2
    )
    real = [tally for name, tally in tallies.items() if name.startswith("tipster")]
    succeeded, total = sum(t.succeeded for t in real), sum(t.succeeded + sum(t.refused.values()) for t in real)
    lines = [tally.line(name) for name, tally in tallies.items()]
    return lines + [
        f"  real tipsters overall: {succeeded} of {total} succeeded ({succeeded / max(1, total):.1%}; target at least "
        "90 %)"
    ]


def png_just_under_the_pixel_cap() -> bytes:
    from PIL import Image

    output = io.BytesIO()
    Image.new("L", (7000, 7000), 255).save(output, format="PNG")  # 49,000,000 pixels
    return output.getvalue()


def tip_with_images(image: bytes, files: int, number: int) -> bytes:
    answers = json.dumps({"tip": f"Flood tip {number}: photos of the harbour."})
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="answers"\r\n\r\n{answers}\r\n'.encode()]
    for index in range(files):
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="photo{index}.png"\r\n'
            "Content-Type: image/png\r\n\r\n".encode()
            + image
            + b"\r\n"
        )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def post(port: int, path: str, body: bytes) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status
    except urllib.error.HTTPError as refusal:
        return refusal.code


def landing_page_seconds(port: int, due: float) -> float:
    """One load of the landing page, timed from when it was due (not from when a free client
    thread got to it), so that a stalled server counts every visitor it kept waiting."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=600) as response:
        response.read()
    return time.perf_counter() - due


def landing_page_loads(port: int, while_running: list[threading.Thread]) -> list[float]:
    """A visitor every LANDING_EVERY_SECONDS on a fixed schedule while the threads run."""
    with ThreadPoolExecutor(max_workers=32) as visitors:
        loads, due = [], time.perf_counter()
        while any(thread.is_alive() for thread in while_running):
            loads.append(visitors.submit(landing_page_seconds, port, due))
            due += LANDING_EVERY_SECONDS
            time.sleep(max(0.0, due - time.perf_counter()))
        return [load.result() for load in loads]


def landing_page_during_cleaning_flood(
    port: int, server, seconds: float, tipsters: int = 8, files_each: int = 10
) -> list[str]:
    """Issue 31, finding 5 (see the module docstring); it lasts until the flood's tips are stored."""
    image = png_just_under_the_pixel_cap()
    statuses, lock = Counter(), threading.Lock()

    def tipster(number: int) -> None:
        body = tip_with_images(image, files_each, number)
        while True:
            status = post(port, "/api/v1/channels/general/tips", body)
            with lock:
                statuses[status] += 1
            if status not in (429, 503):
                return
            time.sleep(RESEND_AFTER_SECONDS)

    flood = [threading.Thread(target=tipster, args=(number,)) for number in range(tipsters)]
    started = time.perf_counter()
    for thread in flood:
        thread.start()
    landing = landing_page_loads(port, flood)
    flooded = time.perf_counter() - started
    return [
        f"  {tipsters} tips x {files_each} PNGs of 49 megapixels, {len(image) / 1000:.0f} KB each, re-sent "
        f"{RESEND_AFTER_SECONDS:.0f} s after a refusal",
        f"  landing page: {len(landing)} loads, p50 {percentile(landing, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(landing, 0.99) * 1000:.0f} ms, max {max(landing) * 1000:.0f} ms (target: p99 < 1000 ms)",
        f"  all {tipsters} tips stored after {flooded:.1f} s; answers to the flood: "
        + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
        + f"; server RSS after it: {server_rss_mib(server.pid):.0f} MiB",
    ]


def ordinary_photo() -> bytes:
    from PIL import Image

    output = io.BytesIO()
    Image.effect_noise((800, 600), 40).convert("RGB").save(output, format="JPEG", quality=90)
    return output.getvalue()


def ordinary_photo_during_flood_of_large_images(port: int, server, seconds: float, attackers: int = 4) -> list[str]:
    """Issue 31, finding 5 as attacked (see the module docstring)."""
    flood_body = tip_with_images(png_just_under_the_pixel_cap(), 1, 0)
    photo_body = tip_with_images(ordinary_photo(), 1, 1)  # its kind is read from its first bytes, not its name
    stop_at, flood_answers, lock, tipster = time.monotonic() + seconds, Counter(), threading.Lock(), Tally()

    def attacker() -> None:
        while time.monotonic() < stop_at:
            status = post(port, "/api/v1/channels/general/tips", flood_body)
            with lock:
                flood_answers[status] += 1

    def send_photo() -> None:
        started, status = time.perf_counter(), post(port, "/api/v1/channels/general/tips", photo_body)
        tipster.record(started, status == 201, status)

    run_threads([attacker] * attackers + [lambda: paced(1.0, stop_at, send_photo)])
    return [
        tipster.line("tipster: 800 x 600 JPEG every second"),
        f"  {attackers} threads re-posting a 49-megapixel PNG: "
        + ", ".join(f"{status}: {count}" for status, count in sorted(flood_answers.items())),
    ]


# (what it floods, how, the server's settings for it)
SCENARIOS = [
    ("unknown receipts and junk tips at ten times the old limits", flood_of_unknown_receipts_and_junk_tips, {}),
    ("landing-page p99 during the cleaning flood", landing_page_during_cleaning_flood, NO_SUBMISSION_LIMITS),
    (
        "an ordinary photo during a flood of large images",
        ordinary_photo_during_flood_of_large_images,
        NO_SUBMISSION_LIMITS,
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--seconds", type=float, default=60, help="how long each flood lasts (a limit's window is a minute)"
    )
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: any free one)")
    parser.add_argument("--only", type=int, choices=range(1, len(SCENARIOS) + 1), help="run this scenario alone")
    arguments = parser.parse_args()
    django_for(arguments.database, fast_kdf=False)
    from tipline.core import capacity
    from tipline.operations.demo import load_demo

    load_demo()
    print(
        f"database: {arguments.database}; this machine takes about {capacity.measure_tips_per_minute()} tips a minute "
        f"(measured as the server does); {arguments.seconds:.0f} s per flood"
    )
    for name, scenario, server_settings in [SCENARIOS[arguments.only - 1]] if arguments.only else SCENARIOS:
        port = arguments.port or free_port()
        server = start_server(port, **server_settings)
        try:
            print(f"{name}:")
            for line in scenario(port, server, arguments.seconds):
                print(line)
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
