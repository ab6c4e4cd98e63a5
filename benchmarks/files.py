"""A 1 GiB file through HTTP: upload with a tip and download as a recipient, against the
production server; MB/s each way and the server's peak RSS above idle (goal: < 100 MiB).

Run: .venv/bin/python benchmarks/files.py [--mib 1024] [--database sqlite|postgresql]
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_for, free_port, start_server, stop_server  # noqa: E402

BOUNDARY = "tiplinefilebenchboundary"
PIECE = os.urandom(1024 * 1024)


def server_rss_mib(server_pid: int) -> float:
    """Resident memory of the server and its worker processes, in MiB."""
    total = 0
    for pid in [server_pid, *_children(server_pid)]:
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except FileNotFoundError:
            pass
    return total / 1024 / 1024


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            direct = [int(child) for child in children.read().split()]
    except FileNotFoundError:
        return []
    return direct + [grandchild for child in direct for grandchild in _children(child)]


class PeakSampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self):
        while self.running:
            self.peak = max(self.peak, server_rss_mib(self.pid))
            time.sleep(0.05)


def upload(port: int, mib: int) -> float:
    head = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"answers\"\r\n\r\n"
        f"{json.dumps({'tip': 'a large file'})}\r\n"
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.bin\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def body():
        yield head
        for _ in range(mib):
            yield PIECE
        yield tail

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request(
        "POST", "/api/v1/channels/general/tips", body=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Content-Length": str(len(head) + mib * len(PIECE) + len(tail))},
    )
    response = connection.getresponse()
    response.read()
    assert response.status == 201, response.status
    return time.perf_counter() - started


def download(port: int, token: str, tip_id: str, file_id: str) -> tuple[float, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", f"/api/v1/tips/{tip_id}/files/{file_id}", headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    received = 0
    while chunk := response.read(1024 * 1024):
        received += len(chunk)
    assert response.status == 200, response.status
    return time.perf_counter() - started, received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--mib", type=int, default=1024)
    arguments = parser.parse_args()
    django_for(arguments.database)
    from tipline.accounts.tokens import create_token
    from tipline.core.demo import load_demo
    from tipline.core.models import Tip
    from tipline.testing.staff import make_staff

    load_demo()
    member = make_staff("bench", ["general"])
    token = create_token(member.user, member.private_key, "bench", 1).secret_string
    port = free_port()
    server = start_server(port, workers=1, MAX_FILE_BYTES=str(arguments.mib * 1024 * 1024))
    try:
        time.sleep(1)
        idle = server_rss_mib(server.pid)
        sampler = PeakSampler(server.pid)
        sampler.start()
        up_seconds = upload(port, arguments.mib)
        tip = Tip.objects.get()
        down_seconds, received = download(port, token, str(tip.id), str(tip.attachments.get().id))
        sampler.running = False
        sampler.join()
    finally:
        stop_server(server)
    size_mb = arguments.mib * 1024 * 1024 / 1e6
    assert received == arguments.mib * 1024 * 1024
    print(f"database: {arguments.database}; file {arguments.mib} MiB")
    print(f"upload:   {up_seconds:6.1f} s  {size_mb / up_seconds:6.0f} MB/s")
    print(f"download: {down_seconds:6.1f} s  {size_mb / down_seconds:6.0f} MB/s")
    print(f"server RSS: idle {idle:.0f} MiB, peak {sampler.peak:.0f} MiB (+{sampler.peak - idle:.0f} MiB; goal under +100 MiB)")


if __name__ == "__main__":
    main()
