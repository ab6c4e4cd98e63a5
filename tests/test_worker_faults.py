"""A real `tipline worker` through the faults a deployment sees every month: its PostgreSQL
server stopped for 20 s (a throw-away cluster made here, never the shared one), its SQLite
database held under an exclusive lock for 10 s by another process, and a route removed
while the worker holds its deliveries. It keeps running and delivers everything afterwards."""

import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.system import TIPLINE, clean_environment, free_port, run_tipline

pytestmark = [pytest.mark.system]
POSTGRES_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
OVERRIDES = {"INSECURE_FAST_KDF": "on", "ALERT_RETRY_BASE_SECONDS": "1", "ALERT_RETRY_MAX_SECONDS": "2"}

SETUP = """
import sys
import django
django.setup()
from tipline.alerts.routes import RouteSpec, add_route
from tipline.core.channel_schema import import_channel, parse_document
from tipline.testing.staff import make_staff
import_channel(parse_document("slug: desk\\nname: Night desk\\nfields:\\n  - {key: tip, kind: long_text, \
label: Tip}\\n"))
make_staff("ana", ["desk"])
add_route(RouteSpec(name="hook", kind="webhook", target=sys.argv[1], secret="s"))
"""
TIPS = """
import sys
import django
django.setup()
from tipline.testing.staff import make_tip
for number in range(int(sys.argv[1])):
    make_tip("desk", f"marker-worker-fault-{sys.argv[2]}-{number}")
"""


def python(data_dir, script: str, *arguments: str, **overrides: str) -> None:
    environment = clean_environment(data_dir, **OVERRIDES, **overrides) | {"DJANGO_SETTINGS_MODULE": "tipline.settings"}
    subprocess.run(
        [str(TIPLINE.parent / "python"), "-c", script, *arguments],
        env=environment,
        check=True,
        capture_output=True,
        timeout=120,
    )


def start_worker(data_dir, log: Path, **overrides: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(TIPLINE), "worker", "--interval", "0.2"],
        env=clean_environment(data_dir, **OVERRIDES, **overrides),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def delivered(receiver) -> set[str]:
    return {json.loads(request.body)["id"] for request in receiver.accepted()}


def wait_for(condition, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


class ThrowAwayPostgres:
    """A PostgreSQL cluster of its own in a temporary directory, run as the postgres user."""

    def __init__(self, directory: Path):
        self.directory, self.port = directory, free_port()
        self.data = directory / "cluster"
        self.user = pwd.getpwnam("postgres")
        os.chown(directory, self.user.pw_uid, self.user.pw_gid)
        self._as_postgres("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            "pg_ctl", "-D", str(self.data), "-o", options, "-w", "-l", str(self.directory / "log"), "start"
        )

    def stop(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _as_postgres(self, program: str, *arguments: str) -> None:
        command = [str(POSTGRES_BIN / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120, cwd=self.directory)


@pytest.mark.skipif(
    POSTGRES_BIN is None or shutil.which("runuser") is None, reason="PostgreSQL's server programs are not installed"
)
def test_the_worker_rides_out_its_postgresql_server_stopped_for_20_seconds(tmp_path, hook_receiver):
    # Outside pytest's own directories, which the postgres user cannot enter.
    cluster = ThrowAwayPostgres(Path(tempfile.mkdtemp(prefix="tipline-throwaway-postgres-", dir="/tmp")))
    cluster.start()
    data_dir, log = tmp_path / "data", tmp_path / "worker.log"
    database = {"DATABASE_URL": cluster.url}
    try:
        assert run_tipline(data_dir, "init", **database).returncode == 0
        python(data_dir, SETUP, f"{hook_receiver.url}/hook", **database)
        worker = start_worker(data_dir, log, **database)
        python(data_dir, TIPS, "5", "before", **database)
        assert wait_for(lambda: len(delivered(hook_receiver)) == 5)
        hook_receiver.down = True
        python(data_dir, TIPS, "5", "pending", **database)  # refused: still pending when the database goes
        time.sleep(2)

        cluster.stop()
        time.sleep(20)
        alive_through_the_outage = worker.poll() is None
        hook_receiver.down = False
        cluster.start()
        python(data_dir, TIPS, "5", "after", **database)

        assert alive_through_the_outage, log.read_text()[-3000:]
        assert wait_for(lambda: len(delivered(hook_receiver)) == 15, timeout=90), log.read_text()[-3000:]
        assert worker.poll() is None
    finally:
        stop(worker)
        cluster.stop()
        shutil.rmtree(cluster.directory, ignore_errors=True)
    output = log.read_text()
    assert "the database is unavailable" in output and "the database is back after" in output
    assert "Traceback" not in output


@pytest.mark.sqlite_only
def test_the_worker_rides_out_its_sqlite_database_locked_for_10_seconds(tmp_path, hook_receiver):
    data_dir, log = tmp_path / "data", tmp_path / "worker.log"
    assert run_tipline(data_dir, "init").returncode == 0
    python(data_dir, SETUP, f"{hook_receiver.url}/hook")
    worker = start_worker(data_dir, log)
    try:
        python(data_dir, TIPS, "3", "before")
        assert wait_for(lambda: len(delivered(hook_receiver)) == 3)
        hook_receiver.down = True
        python(data_dir, TIPS, "3", "pending")
        time.sleep(1)

        locker = subprocess.Popen(
            [
                str(TIPLINE.parent / "python"),
                "-c",
                (
                    "import sqlite3, sys, time\n"
                    "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                    "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(10); "
                    "db.execute('ROLLBACK')\n"
                ),
                str(data_dir / "tipline.sqlite3"),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert locker.stdout.readline().strip() == "locked"
        hook_receiver.down = False
        locker.wait(timeout=30)
        alive_through_the_lock = worker.poll() is None
        python(data_dir, TIPS, "3", "after")

        assert alive_through_the_lock, log.read_text()[-3000:]
        assert wait_for(lambda: len(delivered(hook_receiver)) == 9, timeout=60), log.read_text()[-3000:]
    finally:
        stop(worker)
    output = log.read_text()
    assert "the database is unavailable" in output and "database is locked" in output
    assert "Traceback" not in output


@pytest.mark.sqlite_only
def test_a_route_removed_while_the_worker_holds_its_deliveries_is_settled_and_the_worker_goes_on(
    tmp_path, hook_receiver
):
    from tipline.testing.receiver import start_receiver

    hook_receiver.delay = 6  # every attempt is still in flight when the route goes, and the new one is added
    data_dir, log = tmp_path / "data", tmp_path / "worker.log"
    assert run_tipline(data_dir, "init").returncode == 0
    python(data_dir, SETUP, f"{hook_receiver.url}/hook")
    python(data_dir, TIPS, "10", "removed")
    worker = start_worker(data_dir, log)
    second, second_server = start_receiver()
    try:
        assert wait_for(lambda: " started" in log.read_text())
        time.sleep(1)  # the worker has claimed them and waits on the slow receiver
        assert run_tipline(data_dir, "routes", "remove", "hook").returncode == 0
        secret = tmp_path / "secret"
        secret.write_text("s\n")
        added = run_tipline(
            data_dir,
            "routes",
            "add",
            "other",
            "--kind",
            "webhook",
            "--target",
            f"{second.url}/other",
            "--secret-file",
            str(secret),
        )
        assert added.returncode == 0, added.stderr

        # Each reached someone: through the new route, or the old one's answer that came after it went.
        assert wait_for(
            lambda: (
                len(delivered(second) | delivered(hook_receiver)) == 10
                and "0 deliveries pending" in status_of(data_dir)
            ),
            60,
        ), log.read_text()[-3000:]
        assert delivered(second)  # what the removed route still owed went to the new one
        assert worker.poll() is None
    finally:
        stop(worker)
        second_server.shutdown()
    assert "Traceback" not in log.read_text()


def status_of(data_dir) -> str:
    return run_tipline(data_dir, "jobs", "status").stdout
