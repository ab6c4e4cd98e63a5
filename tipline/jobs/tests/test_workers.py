"""Real `tipline worker` processes: two at once and a restart still send each mail once."""

import subprocess
import time

import pytest

from tests.system import TIPLINE, clean_environment, run_tipline

pytestmark = [pytest.mark.system, pytest.mark.sqlite_only]

SETUP = """
import django
django.setup()
from datetime import timedelta
from django.utils import timezone
from tipline.accounts.models import User
from tipline.core.channel_schema import import_channel, parse_document
from tipline.testing.staff import make_staff, make_tip
import_channel(parse_document("slug: desk\\nname: Night desk\\nfields:\\n  - {key: tip, kind: long_text, \
label: Tip}\\n"))
make_staff("ana", ["desk"])
User.objects.filter(username="ana").update(email="ana@example.org")
make_tip("desk", "marker-worker-content-91", timezone.now() + timedelta(hours=1))
from tipline.alerts.routes import RouteSpec, add_route
import sys
add_route(RouteSpec(name="mail", kind="email", target=f"smtp+plain://127.0.0.1:{sys.argv[1]}"))
"""


def start_worker(data_dir, overrides):
    return subprocess.Popen(
        [str(TIPLINE), "worker", "--interval", "0.2"],
        env=clean_environment(data_dir, **overrides),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def stop(process) -> str:
    process.terminate()
    return process.communicate(timeout=30)[0]


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)


def test_two_workers_and_a_restart_send_each_notice_once(tmp_path, smtp_server):
    data_dir = tmp_path / "data"
    overrides = {"INSECURE_FAST_KDF": "on"}
    assert run_tipline(data_dir, "init").returncode == 0
    environment = clean_environment(data_dir, **overrides) | {"DJANGO_SETTINGS_MODULE": "tipline.settings"}
    subprocess.run(
        [str(TIPLINE.parent / "python"), "-c", SETUP, str(smtp_server.port)],
        env=environment,
        check=True,
        capture_output=True,
    )

    workers = [start_worker(data_dir, overrides) for _ in range(2)]
    wait_for(lambda: len(smtp_server) >= 2)
    time.sleep(2)  # give a duplicate every chance to appear
    outputs = [stop(worker) for worker in workers]
    restarted = start_worker(data_dir, overrides)
    time.sleep(3)
    outputs.append(stop(restarted))
    status = run_tipline(data_dir, "jobs", "status", **overrides)

    subjects = sorted(str(message["Subject"]).strip() for message in smtp_server)
    assert subjects == [
        "[Tipline] A new tip arrived in Night desk",
        "[Tipline] A tip's deadline is near in Night desk",
    ], outputs
    assert all("marker-worker-content-91" not in message.get_content() for message in smtp_server)
    assert "failed 0" in status.stdout and "deadline-scan:" in status.stdout
    assert all("Alerts go through 1 route." in output for output in outputs), outputs
