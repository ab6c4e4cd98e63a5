"""A 1 GiB file through HTTP: upload with a tip and download as a recipient, against the
production server; MB/s each way and the server's peak RSS above idle (goal: < 100 MiB).
Then the cleaning of hidden details from realistic files, one per format (a 12-megapixel
HEIC, a 12-megapixel JPEG, a 20-page docx with comments and tracked changes, a 40-page
PDF, a 30 s 1080p MP4): the time and the cleaning process's peak memory, as the server
runs it (a child process per file).

Run: .venv/bin/python benchmarks/files.py [--mib 1024] [--database sqlite|postgresql] [--part all|transfer|cleaning]
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
from _setup import django_for, free_port, start_server, stop_server

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
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="answers"\r\n\r\n'
        f"{json.dumps({'tip': 'a large file'})}\r\n"
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\n'
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
        "POST",
        "/api/v1/channels/general/tips",
        body=body(),
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(len(head) + mib * len(PIECE) + len(tail)),
        },
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
    parser.add_argument("--part", choices=["all", "transfer", "cleaning"], default="all")
    arguments = parser.parse_args()
    if arguments.part != "transfer":
        measure_cleaning()
    if arguments.part == "cleaning":
        return
    django_for(arguments.database)
    from tipline.accounts.tokens import create_token
    from tipline.core.models import Tip
    from tipline.operations.demo import load_demo
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
    print(
        f"server RSS: idle {idle:.0f} MiB, peak {sampler.peak:.0f} MiB (+{sampler.peak - idle:.0f} MiB; goal under "
        "+100 MiB)"
    )


def realistic_files() -> dict[str, bytes]:
    """One file per format, as sizes and structure go in the field: photographs with detail and
    sensor-like noise, the video's media data random bytes at 8 Mbit/s (the cleaner edits
    boxes, it never decodes)."""
    import io
    import struct
    import zipfile

    import pikepdf
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    detail = Image.effect_mandelbrot((4000, 3000), (-2.2, -1.2, 1.0, 1.2), 200)
    photo = Image.merge("RGB", (detail, detail.rotate(180), Image.effect_noise((4000, 3000), 40)))
    exif = Image.Exif()
    exif[0x013B] = "Jane Doe"
    files = {}
    for kind in ("HEIF", "JPEG"):
        output = io.BytesIO()
        photo.save(output, format=kind, quality=90, exif=exif.tobytes())
        files[f"12 MP {kind}"] = output.getvalue()
    word = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    paragraph = (
        '<w:p w:rsidR="00A1B2C3"><w:ins w:id="1" w:author="Jane Doe" w:date="2026-11-29T20:15:00Z"><w:r><w:t>'
        + "The shipment leaves the north gate at six. " * 8
        + "</w:t></w:r></w:ins></w:p>"
    )
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
        )
        archive.writestr(
            "docProps/core.xml",
            "<cp:coreProperties xmlns:cp='x'><dc:creator xmlns:dc='y'>Jane Doe</dc:creator></cp:coreProperties>",
        )
        archive.writestr("word/document.xml", f"<w:document {word}><w:body>{paragraph * 20 * 12}</w:body></w:document>")
        archive.writestr("word/media/image1.jpeg", files["12 MP JPEG"])  # a phone photo pasted in
    files["20-page docx"] = output.getvalue()
    pdf = pikepdf.new()
    for _ in range(40):
        page = pdf.add_blank_page(page_size=(595, 842))
        lines = (b"BT /F1 11 Tf 72 720 Td (%s) Tj ET\n" % os.urandom(40).hex().encode() for _ in range(60))
        page.obj["/Contents"] = pdf.make_stream(b"".join(lines))
    pdf.docinfo["/Author"] = "Jane Doe"
    output = io.BytesIO()
    pdf.save(output)
    files["40-page PDF"] = output.getvalue()

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I4s", 8 + len(body), kind) + body

    header = box(b"mvhd", bytes(4) + struct.pack(">IIII", 1, 2, 1000, 30_000) + bytes(80))
    track = box(b"trak", box(b"tkhd", bytes(4) + struct.pack(">II", 1, 2) + bytes(72)))
    files["30 s 1080p MP4"] = (
        box(b"ftyp", b"isom\x00\x00\x02\x00isom")
        + box(b"moov", header + track + box(b"udta", box(b"\xa9xyz", b"+40.4+079.9/")))
        + box(b"mdat", os.urandom(30 * 1_000_000))
    )
    return files


def measure_cleaning() -> None:
    import subprocess

    from tipline.core import metadata

    # TIPLINE_CLEANING_* and TIPLINE_MAX_CLEANABLE_PIXELS at their defaults (the time limit is not applied here).
    limits = metadata.Limits(seconds=20, max_pixels=50_000_000, memory_bytes=1024**3)
    print("cleaning, one child process per file (as the server runs it):")
    for name, data in realistic_files().items():
        kind = metadata.recognise(data[:16])
        command = metadata.child_command(kind, limits)
        started = time.perf_counter()
        measured = subprocess.run(
            [sys.executable, "-c", MEASURE_ONE_CHILD, *command], input=data, capture_output=True, check=True
        )
        seconds = time.perf_counter() - started
        outcome, peak_kib = measured.stdout.decode().split()
        print(
            f"  {name:16s} {len(data) / 1e6:6.2f} MB  {seconds:5.2f} s  peak {int(peak_kib) / 1024:5.0f} MiB  {outcome}"
        )


# Run the cleaner as the only child of a small process, whose RUSAGE_CHILDREN is then that
# cleaner's own peak memory.
MEASURE_ONE_CHILD = """
import resource, subprocess, sys
child = subprocess.run(sys.argv[1:], input=sys.stdin.buffer.read(), capture_output=True)
print(child.stdout.split(b"\\n", 1)[0].decode() or "failed", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


if __name__ == "__main__":
    main()
