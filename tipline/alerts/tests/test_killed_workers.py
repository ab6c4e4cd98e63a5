"""Two real `tipline worker` processes at once, killed with SIGKILL in turn in the middle of deliveries, to a
service that refuses each first attempt and answers slowly: no alert is lost, none is
sent more often than the kills can explain, and nothing is left pending or running."""

import json
import os
import random
import signal
import subprocess
import time
from collections import Counter

import pytest

from tests.system import TIPLINE, clean_environment, run_tipline

pytestmark = [pytest.mark.system, pytest.mark.sqlite_only]
TIPS = 40
KILLS = 5
IN_FLIGHT = 4  # attempts a worker has at the route at once (ALERT_ROUTE_CONCURRENCY)

SETUP = """
import sys
import django
django.setup()
from tipline.alerts.routes import RouteSpec, add_route
from tipline.core.channel_schema import import_channel, parse_document
from tipline.testing.staff import make_staff, make_tip
import_channel(parse_document("slug: desk\\nname: Night desk\\nfields:\\n  - {key: tip, kind: long_text, \
label: Tip}\\n"))
make_staff("ana", ["desk"])
add_route(RouteSpec(name="hook", kind="webhook", target=sys.argv[1], secret="s"))
for number in range(int(sys.argv[2])):
    make_tip("desk", f"marker-killed-worker-{number}")
"""


def start_worker(data_dir, overrides):
    return subprocess.Popen(
        [str(TIPLINE), "worker", "--interval", "0.1"],
        env=clean_environment(data_dir, **overrides),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_until_it_delivers(receiver, timeout: float = 60) -> None:
    attempts = len(receiver.requests) + len(receiver.refused)
    deadline = time.monotonic() + timeout
    while len(receiver.requests) + len(receiver.refused) == attempts and time.monotonic() < deadline:
        time.sleep(0.05)


def test_workers_killed_in_the_middle_of_deliveries_lose_no_alert(tmp_path, hook_receiver):
    hook_receiver.refuse_first = True
    hook_receiver.delay = 0.5
    data_dir = tmp_path / "data"
    overrides = {
        "INSECURE_FAST_KDF": "on",
        "ALERT_LEASE_SECONDS": "2",
        "ALERT_RETRY_BASE_SECONDS": "0",
        "ALERT_ROUTE_CONCURRENCY": str(IN_FLIGHT),
    }
    assert run_tipline(data_dir, "init").returncode == 0
    environment = clean_environment(data_dir, **overrides) | {"DJANGO_SETTINGS_MODULE": "tipline.settings"}
    subprocess.run(
        [str(TIPLINE.parent / "python"), "-c", SETUP, f"{hook_receiver.url}/hook", str(TIPS)],
        env=environment,
        check=True,
        capture_output=True,
    )

    random.seed(17)
    workers = [start_worker(data_dir, overrides), start_worker(data_dir, overrides)]  # two at once, as on two hosts
    for kill in range(KILLS):
        wait_until_it_delivers(hook_receiver)  # started up: however slow the machine, the kill falls in the work
        time.sleep(random.uniform(0.2, 1.0))
        victim = workers[kill % 2]
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        workers[kill % 2] = start_worker(data_dir, overrides) if kill < KILLS - 1 else None
    delivered_before_the_survivors = len({json.loads(r.body)["id"] for r in hook_receiver.accepted()})
    survivors = [worker for worker in workers if worker] + [start_worker(data_dir, overrides)]
    deadline = time.monotonic() + 90
    while len({json.loads(r.body)["id"] for r in hook_receiver.accepted()}) < TIPS and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # a late duplicate has every chance to appear
    for survivor in survivors:
        survivor.terminate()
        survivor.wait(timeout=30)
    status = run_tipline(data_dir, "jobs", "status", **overrides).stdout

    ids = [json.loads(request.body)["id"] for request in hook_receiver.accepted()]
    assert 0 < delivered_before_the_survivors < TIPS  # the kills fell in the middle of the work
    assert len(set(ids)) == TIPS, status  # every alert arrived
    # A kill after the route took a notice, before the worker recorded it, may repeat each attempt it had in
    # flight: each event at most once more per kill, and no more repeats than the kills had attempts in flight.
    assert max(Counter(ids).values()) <= 1 + KILLS
    assert len(ids) - len(set(ids)) <= KILLS * IN_FLIGHT
    assert all(b"marker-killed-worker" not in request.body for request in hook_receiver.accepted())
    assert "Alerts: 0 deliveries pending" in status, status
