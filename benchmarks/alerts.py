"""How soon alerts reach a person, with the production server and a real `tipline worker`
(default one-second idle interval) delivering to a signed-webhook receiver on loopback.

1. New tips: the time from the receipt being shown (the API's 201) to the receiver holding
   that tip's new-tip event, p50/p99 over N tips sent one after another.
2. Deadline alerts: tips whose 2-hour lead time begins 10–70 s after the worker starts;
   the lateness of each alert after its lead time began, p50/p99/max.

Run: .venv/bin/python benchmarks/alerts.py [--database sqlite|postgresql] [--tips 200]
Targets: new-tip p99 under 5 s; deadline alerts under 60 s late.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _setup import django_for, free_port, percentile, start_server, stop_server  # noqa: E402

DEADLINE_TIPS = 20


def send_tip(port: int, number: int) -> str:
    body = (
        '--b\r\nContent-Disposition: form-data; name="answers"\r\n\r\n'
        + json.dumps({"tip": f"Alert benchmark tip {number}."}) + "\r\n--b--\r\n"
    ).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/channels/desk/tips", data=body, method="POST",
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["receipt"]


def arrivals(receiver) -> dict[str, float]:
    """Event id -> when the receiver first held it."""
    held: dict[str, float] = {}
    for request in receiver.accepted():
        held.setdefault(json.loads(request.body)["id"], request.at)
    return held


def wait_for(receiver, ids: set[str], seconds: float) -> None:
    stop_at = time.monotonic() + seconds
    while not ids <= set(arrivals(receiver)) and time.monotonic() < stop_at:
        time.sleep(0.1)


def seed() -> None:
    from tipline.core.channel_schema import import_channel, parse_document
    from tipline.testing.staff import make_staff

    import_channel(parse_document("slug: desk\nname: Night desk\nfields:\n  - {key: tip, kind: long_text, label: Tip}\n"))
    make_staff("ana", ["desk"])


def new_tip_latencies(port: int, receiver, count: int) -> list[float]:
    from tipline.alerts.models import Event
    from tipline.core.tips import find_tip_by_receipt

    shown: list[tuple[str, float]] = []
    for number in range(count):
        receipt = send_tip(port, number)
        shown.append((receipt, time.time()))
        time.sleep(0.05)
    event_of = {}
    for receipt, at in shown:
        tip, _key = find_tip_by_receipt(receipt)
        event_of[str(Event.objects.get(tip=tip, kind="new-tip").pk)] = at
    wait_for(receiver, set(event_of), 60)
    held = arrivals(receiver)
    missing = set(event_of) - set(held)
    if missing:
        raise SystemExit(f"{len(missing)} new-tip alerts never arrived")
    return [held[event_id] - at for event_id, at in event_of.items()]


def deadline_lateness(receiver, started: float) -> list[float]:
    from tipline.alerts.models import Event
    from tipline.testing.staff import make_tip

    begins = {}
    for number in range(DEADLINE_TIPS):
        lead_begins = datetime.fromtimestamp(started, UTC) + timedelta(seconds=10 + 3 * number)
        tip, _receipt = make_tip("desk", f"deadline {number}", lead_begins + timedelta(hours=2))
        begins[tip.pk] = lead_begins.timestamp()
    time.sleep(10 + 3 * DEADLINE_TIPS)
    ids: dict[str, float] = {}
    stop_at = time.monotonic() + 90
    while len(ids) < DEADLINE_TIPS and time.monotonic() < stop_at:
        found = Event.objects.filter(kind="deadline-soon", tip__in=list(begins), seconds_left__lte=7200)
        ids = {str(event.pk): begins[event.tip_id] for event in found}
        time.sleep(0.5)
    wait_for(receiver, set(ids), 30)
    held = arrivals(receiver)
    if set(ids) - set(held) or len(ids) < DEADLINE_TIPS:
        raise SystemExit("some deadline alerts never arrived")
    return [held[event_id] - begun for event_id, begun in ids.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--tips", type=int, default=200)
    arguments = parser.parse_args()
    django_for(arguments.database)
    from tipline.alerts.routes import RouteSpec, add_route
    from tipline.testing.receiver import start_receiver

    seed()
    receiver, http_server = start_receiver()
    add_route(RouteSpec(name="hook", kind="webhook", target=f"{receiver.url}/hook", secret="bench"))
    port = free_port()
    server = start_server(port, SUBMISSIONS_PER_MINUTE="1000000", SUBMISSIONS_PER_MINUTE_PER_CHANNEL="1000000")
    tipline = Path(sys.executable).parent / "tipline"
    worker = subprocess.Popen([str(tipline), "worker"], env=os.environ.copy(), start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)  # the worker's start-up
        latencies = new_tip_latencies(port, receiver, arguments.tips)
        lateness = deadline_lateness(receiver, time.time())
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        stop_server(server)
        http_server.shutdown()
    print(f"database: {arguments.database}; worker interval 1 s; deadline scan every 15 s")
    print(f"new tip -> receiver ({len(latencies)} tips): p50 {percentile(latencies, 0.5):.2f} s  "
          f"p99 {percentile(latencies, 0.99):.2f} s  max {max(latencies):.2f} s  (target p99 < 5 s)")
    print(f"deadline alert after its lead time began ({len(lateness)} tips): p50 {percentile(lateness, 0.5):.1f} s  "
          f"p99 {percentile(lateness, 0.99):.1f} s  max {max(lateness):.1f} s  (target < 60 s)")


if __name__ == "__main__":
    main()
