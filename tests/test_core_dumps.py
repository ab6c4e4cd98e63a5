"""The processes that hold opened keys and tips on their way into encryption (the server's
workers and `tipline worker`) write no core dump: a crash puts nothing of theirs on disk."""

import subprocess
import time
from pathlib import Path

import pytest

from tests.system import TIPLINE, clean_environment, free_port, start, stop, wait_until_serving

pytestmark = [pytest.mark.system, pytest.mark.sqlite_only]


def core_file_limits(pid: int) -> tuple[str, str]:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max core file size"):
            soft, hard = line.split()[4:6]
            return soft, hard
    raise AssertionError(f"no core file limit for process {pid}")


def descendants(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return children + [grandchild for child in children for grandchild in descendants(child)]


def test_the_servers_workers_and_the_alert_worker_write_no_core_dump(tmp_path):
    data_dir = tmp_path / "data"
    subprocess.run([str(TIPLINE), "init"], env=clean_environment(data_dir), check=True, capture_output=True)
    port = free_port()
    server = start([str(TIPLINE), "serve", "--port", str(port), "--workers", "1"], data_dir)
    worker = start([str(TIPLINE), "worker"], data_dir)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/", server)
        serving_limits = {pid: core_file_limits(pid) for pid in descendants(server.pid)}
        deadline = time.monotonic() + 60
        while core_file_limits(worker.pid) != ("0", "0") and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
        worker_limits = core_file_limits(worker.pid)
    finally:
        stop(worker)
        stop(server)

    assert serving_limits, "granian started no worker process"
    assert set(serving_limits.values()) == {("0", "0")}
    assert worker_limits == ("0", "0")
