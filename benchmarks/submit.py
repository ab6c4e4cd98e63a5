"""Submission throughput against the production server (granian, 2 workers x 4 threads):
N concurrent tipsters for a fixed time each, tips/s, p50/p99 latency, errors, and the ratio
to the floor set by the receipt's Argon2id cost (cores / derivation time), measured here.

Run: .venv/bin/python benchmarks/submit.py [--database sqlite|postgresql] [--seconds 10]
Tipsters post through the API (one request a tip; the same service and Argon2id as the page).
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_for, free_port, percentile, start_server, stop_server  # noqa: E402

BOUNDARY = "tiplinebenchboundary"


def tip_request(port: int, number: int) -> urllib.request.Request:
    answers = json.dumps({"tip": f"Benchmark tip {number}: something is about to happen at the harbour."})
    body = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"answers\"\r\n\r\n{answers}\r\n--{BOUNDARY}--\r\n"
    ).encode()
    return urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/channels/general/tips", data=body, method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


def run_tipsters(port: int, concurrency: int, seconds: float) -> tuple[list[float], int]:
    latencies, errors, lock = [], [0], threading.Lock()
    stop_at = time.monotonic() + seconds

    def tipster(offset: int) -> None:
        number = offset
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(tip_request(port, number), timeout=60) as response:
                    ok = response.status == 201
            except (urllib.error.URLError, OSError):
                ok = False
            with lock:
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors[0] += 1
            number += concurrency

    threads = [threading.Thread(target=tipster, args=(offset,)) for offset in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    arguments = parser.parse_args()
    django_for(arguments.database, fast_kdf=False)
    from tipline.core.demo import load_demo
    from tipline.crypto import kdf, receipts

    load_demo()
    derivations = []
    for _ in range(10):
        started = time.perf_counter()
        receipts.derive_receipt_keys(receipts.new_receipt(), bytes(16), kdf.RECEIPT_PARAMS)
        derivations.append(time.perf_counter() - started)
    cores = os.cpu_count() or 1
    floor = cores / percentile(derivations, 0.5)
    print(f"database: {arguments.database}; cores: {cores}; receipt Argon2id {percentile(derivations, 0.5) * 1000:.1f} ms "
          f"-> floor {floor:.1f} tips/s")
    port = free_port()
    limits = {"SUBMISSIONS_PER_MINUTE": "1000000", "SUBMISSIONS_PER_MINUTE_PER_CHANNEL": "1000000"}
    server = start_server(port, **limits)
    try:
        for concurrency in arguments.concurrency:
            latencies, errors = run_tipsters(port, concurrency, arguments.seconds)
            rate = len(latencies) / arguments.seconds
            p50 = percentile(latencies, 0.5) if latencies else float("nan")
            p99 = percentile(latencies, 0.99) if latencies else float("nan")
            print(f"N={concurrency:3d}: {rate:6.1f} tips/s  p50 {p50:7.0f} ms  p99 {p99:7.0f} ms  errors {errors}  "
                  f"ratio to floor {rate / floor:.2f}")
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
