"""Submission throughput against the production server (granian, 2 workers x 4 threads):
N concurrent tipsters for a fixed time each, tips/s, p50/p99 latency, errors, and the ratio
to the floor set by the receipt's Argon2id cost (cores / derivation time), measured here.

Run: .venv/bin/python benchmarks/submit.py [--database sqlite|postgresql] [--seconds 10]
Two paths, in the same run: the API (one request a tip) and the tipster's page as a
browser without JavaScript uses it (GET the form with its cookie, POST it with the CSRF
and form tokens, read the receipt on the answer). Each line also says where the CPU went:
the server's processes and this benchmark's own client threads, which share the cores.
"""

import argparse
import http.cookiejar
import json
import os
import re
import resource
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_for, free_port, percentile, start_server, stop_server

BOUNDARY = "tiplinebenchboundary"
RUN = time.time_ns()


def tip_request(port: int, number: int) -> urllib.request.Request:
    answers = json.dumps({"tip": f"Benchmark tip {number}: something is about to happen at the harbour."})
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="answers"\r\n\r\n{answers}\r\n--{BOUNDARY}--\r\n'
    ).encode()
    return urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/channels/general/tips",
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


def send_by_api(port: int, number: int) -> bool:
    with urllib.request.urlopen(tip_request(port, number), timeout=60) as response:
        return response.status == 201


HIDDEN = re.compile(r'name="(csrfmiddlewaretoken|form_token)" value="([^"]+)"')
RECEIPT = re.compile(rb"\d{4} \d{4} \d{4} \d{4} \d{4} \d{4}")


def send_by_page(port: int, number: int) -> bool:
    """What a browser does: load the form (its CSRF cookie comes with it), post it, read the receipt."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    address = f"http://127.0.0.1:{port}/c/general/"
    with browser.open(address, timeout=60) as page:
        hidden = dict(HIDDEN.findall(page.read().decode()))
    # Each text unique in the run: the same answers again within the hour are taken as a re-sent form.
    fields = {**hidden, "answer-tip": f"Page tip {number} of run {RUN}: something is about to happen at the harbour."}
    body = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    request = urllib.request.Request(
        address,
        data=f"{body}--{BOUNDARY}--\r\n".encode(),
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Sec-Fetch-Site": "same-origin"},
    )
    with browser.open(request, timeout=60) as answer:
        return answer.status == 200 and RECEIPT.search(answer.read()) is not None


def cpu_seconds_of_tree(pid: int) -> float:
    """User + system CPU time of a process and all its descendants, from /proc."""
    total, pending = 0.0, [pid]
    ticks = os.sysconf("SC_CLK_TCK")
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            pending += [int(child) for child in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_tipsters(
    port: int, concurrency: int, seconds: float, send=send_by_api, first_number: int = 0
) -> tuple[list[float], int]:
    latencies, errors, lock = [], [0], threading.Lock()
    stop_at = time.monotonic() + seconds

    def tipster(offset: int) -> None:
        number = first_number + offset
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                ok = send(port, number)
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
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8, 16, 32, 64])
    arguments = parser.parse_args()
    django_for(arguments.database, fast_kdf=False)
    from tipline.crypto import kdf, receipts
    from tipline.operations.demo import load_demo

    load_demo()
    derivations = []
    for _ in range(10):
        started = time.perf_counter()
        receipts.derive_receipt_keys(receipts.new_receipt(), bytes(16), kdf.RECEIPT_PARAMS)
        derivations.append(time.perf_counter() - started)
    cores = os.cpu_count() or 1
    floor = cores / percentile(derivations, 0.5)
    print(
        f"database: {arguments.database}; cores: {cores}; receipt Argon2id {percentile(derivations, 0.5) * 1000:.1f} "
        f"ms -> floor {floor:.1f} tips/s"
    )
    port = free_port()
    limits = {"SUBMISSIONS_PER_MINUTE": "1000000", "SUBMISSIONS_PER_MINUTE_PER_CHANNEL": "1000000"}
    server = start_server(port, **limits)
    try:
        for path, send in (("api", send_by_api), ("page", send_by_page)):
            for concurrency in arguments.concurrency:
                server_cpu, client_cpu = cpu_seconds_of_tree(server.pid), own_cpu_seconds()
                latencies, errors = run_tipsters(
                    port, concurrency, arguments.seconds, send, first_number=concurrency * 10**6
                )
                server_cpu, client_cpu = cpu_seconds_of_tree(server.pid) - server_cpu, own_cpu_seconds() - client_cpu
                tips = max(1, len(latencies))
                rate = len(latencies) / arguments.seconds
                p50 = percentile(latencies, 0.5) if latencies else float("nan")
                p99 = percentile(latencies, 0.99) if latencies else float("nan")
                print(
                    f"{path:4s} N={concurrency:3d}: {rate:6.1f} tips/s  p50 {p50:7.0f} ms  p99 {p99:7.0f} ms  errors "
                    f"{errors}  ratio to floor {rate / floor:.2f}  CPU per tip: server {server_cpu / tips * 1000:.0f} "
                    f"ms, this benchmark's clients {client_cpu / tips * 1000:.0f} ms"
                )
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
