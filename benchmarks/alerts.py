"""How soon alerts reach a person, with the production server and a real `tipline worker`
(default one-second idle interval) delivering to a signed-webhook receiver on loopback.

1. New tips: the time from the receipt being shown (the API's 201) to the receiver holding
   that tip's new-tip event, p50/p99 over N tips sent one after another.
2. Deadline alerts: tips whose 2-hour lead time begins 10–70 s after the worker starts;
   the lateness of each alert after its lead time began, p50/p99/max.

3. A burst: 500 new tips waiting when the worker starts, to a receiver that answers in
   0.3 s; how long until all are delivered (target: within 10 s, at least 50 alerts/s).
4. One route that hangs (accepts, never answers) beside a healthy one: 100 tips; the
   healthy route's latency from the tip to its alert (target: p99 under 5 s).
5. Faults: 200 tips while two workers are killed with SIGKILL 10 times in all (each killed
   one started again at once); latency from the tip to its alert, and none lost
   (target: p99 under 30 s).

Run: .venv/bin/python benchmarks/alerts.py [--database sqlite|postgresql] [--tips 200]
Targets: new-tip p99 under 5 s; deadline alerts under 60 s late; as above for 3–5.
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
from _setup import django_for, free_port, percentile, start_server, stop_server

DEADLINE_TIPS = 20


def send_tip(port: int, number: int) -> str:
    body = (
        '--b\r\nContent-Disposition: form-data; name="answers"\r\n\r\n'
        + json.dumps({"tip": f"Alert benchmark tip {number}."})
        + "\r\n--b--\r\n"
    ).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/channels/desk/tips",
        data=body,
        method="POST",
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

    import_channel(
        parse_document("slug: desk\nname: Night desk\nfields:\n  - {key: tip, kind: long_text, label: Tip}\n")
    )
    make_staff("ana", ["desk"])


def new_tip_latencies(port: int, receiver, count: int) -> list[float]:
    from tipline.alerts.models import Event
    from tipline.core.check_in import find_tip_by_receipt

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


def start_worker() -> subprocess.Popen:
    tipline = Path(sys.executable).parent / "tipline"
    return subprocess.Popen(
        [str(tipline), "worker"],
        env=os.environ.copy(),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    worker.wait(timeout=60)


def wait_until_beating(worker: subprocess.Popen) -> None:
    from tipline.alerts.heartbeat import running

    stop_at = time.monotonic() + 60
    while not any(beat.pid == worker.pid for beat in running()) and time.monotonic() < stop_at:
        time.sleep(0.05)


def make_tips(count: int, label: str) -> dict[str, float]:
    """Tips through the service layer, as the form makes them: event id -> when it was made."""
    from tipline.testing.staff import make_tip

    made = {}
    for number in range(count):
        tip, _receipt = make_tip("desk", f"{label} {number}")
        made[str(tip.alert_events.get(kind="new-tip").pk)] = time.time()
    return made


def burst(receiver, count: int = 500) -> tuple[float, int]:
    """Seconds from a started worker's first heartbeat to all `count` waiting alerts delivered."""
    receiver.delay = 0.3
    ids = set(make_tips(count, "burst"))
    worker = start_worker()
    try:
        wait_until_beating(worker)
        began = time.time()
        wait_for(receiver, ids, 120)
        held = arrivals(receiver)
    finally:
        stop_worker(worker)
        receiver.delay = 0.0
    delivered = ids & set(held)
    return max(held[event_id] for event_id in delivered) - began, len(delivered)


def beside_a_hanging_route(receiver, count: int = 100) -> list[float]:
    from tipline.alerts.routes import RouteSpec, add_route, remove_route
    from tipline.testing.receiver import Misbehaving

    hanging = Misbehaving("hang")
    add_route(RouteSpec(name="hangs", kind="webhook", target=f"{hanging.url}/hangs", secret="bench"))
    worker = start_worker()
    try:
        wait_until_beating(worker)
        made = {}
        for _number in range(count):
            made |= make_tips(1, "beside a hanging route")
            time.sleep(0.05)
        wait_for(receiver, set(made), 60)
        held = arrivals(receiver)
    finally:
        stop_worker(worker)
        remove_route("hangs")
        hanging.stop()
    if set(made) - set(held):
        raise SystemExit(f"{len(set(made) - set(held))} alerts of the healthy route never arrived")
    return [held[event_id] - at for event_id, at in made.items()]


def through_kills(receiver, count: int = 200, kills: int = 10) -> tuple[list[float], int]:
    import random
    import signal
    import threading

    random.seed(29)
    receiver.delay = 0.1
    workers = [start_worker(), start_worker()]
    made: dict[str, float] = {}

    def send() -> None:
        for _number in range(count):
            made.update(make_tips(1, "through kills"))
            time.sleep(0.05)

    sender = threading.Thread(target=send)
    sender.start()
    for kill in range(kills):
        time.sleep(random.uniform(0.5, 1.5))
        victim = kill % 2
        os.killpg(workers[victim].pid, signal.SIGKILL)
        workers[victim].wait()
        workers[victim] = start_worker()
    sender.join()
    try:
        wait_for(receiver, set(made), 120)
        held = arrivals(receiver)
    finally:
        for worker in workers:
            stop_worker(worker)
        receiver.delay = 0.0
    lost = len(set(made) - set(held))
    return [held[event_id] - at for event_id, at in made.items() if event_id in held], lost


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
    worker = start_worker()
    try:
        wait_until_beating(worker)
        latencies = new_tip_latencies(port, receiver, arguments.tips)
        lateness = deadline_lateness(receiver, time.time())
    finally:
        stop_worker(worker)
        stop_server(server)
    try:
        burst_seconds, burst_delivered = burst(receiver)
        healthy = beside_a_hanging_route(receiver)
        killed, lost = through_kills(receiver)
    finally:
        http_server.shutdown()
    print(f"database: {arguments.database}; worker interval 1 s; deadline scan every 15 s")
    print(
        f"new tip -> receiver ({len(latencies)} tips): p50 {percentile(latencies, 0.5):.2f} s  "
        f"p99 {percentile(latencies, 0.99):.2f} s  max {max(latencies):.2f} s  (target p99 < 5 s)"
    )
    print(
        f"deadline alert after its lead time began ({len(lateness)} tips): p50 {percentile(lateness, 0.5):.1f} s  "
        f"p99 {percentile(lateness, 0.99):.1f} s  max {max(lateness):.1f} s  (target < 60 s)"
    )
    print(
        f"burst of 500 waiting alerts, receiver answering in 0.3 s: {burst_delivered} delivered in {burst_seconds:.1f} "
        f"s, {burst_delivered / burst_seconds:.0f} alerts/s  (target: within 10 s, >= 50/s)"
    )
    print(
        f"healthy route beside a hanging one ({len(healthy)} tips): p50 {percentile(healthy, 0.5):.2f} s  "
        f"p99 {percentile(healthy, 0.99):.2f} s  max {max(healthy):.2f} s  (target p99 < 5 s)"
    )
    print(
        f"200 tips through 10 SIGKILLs of two workers: p50 {percentile(killed, 0.5):.1f} s  p99 "
        f"{percentile(killed, 0.99):.1f} s  max {max(killed):.1f} s, {lost} lost  (target p99 < 30 s, none lost)"
    )


if __name__ == "__main__":
    main()
