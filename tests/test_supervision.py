"""Supervision: `make run`'s worker is started again whenever it exits (scripts/keep-running),
and the systemd units of docs/deployment.md verify and restart always, with no start limit
that a database outage of several minutes could exhaust."""

import configparser
import os
import re
import signal
import subprocess
import time

import pytest

from tests.system import REPO_ROOT, TIPLINE, clean_environment, run_tipline

pytestmark = [pytest.mark.system, pytest.mark.sqlite_only]
KEEP_RUNNING = REPO_ROOT / "scripts" / "keep-running"


def documented_units() -> dict[str, str]:
    text = (REPO_ROOT / "docs" / "deployment.md").read_text()
    units = {}
    for block in re.findall(r"```ini\n(.*?)```", text, re.S):
        named = re.match(r"# /etc/systemd/system/(\S+)\n", block)
        if named:
            units[named.group(1)] = block
    return units


def test_the_documented_units_verify_and_restart_always_without_a_start_limit(tmp_path):
    units = documented_units()
    for name, text in units.items():
        (tmp_path / name).write_text(text.replace("/srv/tipline/venv/bin/tipline", str(TIPLINE)))

    verified = subprocess.run(
        ["systemd-analyze", "verify", *sorted(units)], cwd=tmp_path, capture_output=True, text=True
    )

    assert verified.returncode == 0 and verified.stderr == "", verified.stderr
    long_running = {name for name in units if name.endswith(".service") and name != "tipline-backup.service"}
    assert long_running == {"tipline-serve.service", "tipline-worker.service", "tipline-metrics.service"}
    for name in long_running:
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.read_string(units[name])
        assert unit["Service"]["Restart"] == "always" and unit["Unit"]["StartLimitIntervalSec"] == "0", name
    serve = configparser.ConfigParser(strict=False, interpolation=None)
    serve.read_string(units["tipline-serve.service"])
    assert serve["Service"]["ExecStartPre"].endswith(
        "tipline check --configuration-only"
    )  # a stopped worker keeps no tipster out


def worker_pids(data_dir) -> set[int]:
    return {int(pid) for pid in re.findall(r" pid (\d+), started", run_tipline(data_dir, "jobs", "status").stdout)}


def wait_for(condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError("not within the time")


def init_with_a_channel(tmp_path):
    data_dir = tmp_path / "data"
    assert run_tipline(data_dir, "init").returncode == 0
    channel = tmp_path / "desk.yaml"
    channel.write_text("slug: desk\nname: Desk\nfields:\n  - {key: tip, kind: long_text, label: Tip}\n")
    assert run_tipline(data_dir, "channel", "import", str(channel)).returncode == 0
    return data_dir


def test_keep_running_starts_a_killed_worker_again_and_stops_it_when_told(tmp_path):
    data_dir = init_with_a_channel(tmp_path)
    supervisor = subprocess.Popen(
        [str(KEEP_RUNNING), "worker", str(TIPLINE), "worker"],
        env=clean_environment(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        (first,) = wait_for(lambda: worker_pids(data_dir))
        os.kill(first, signal.SIGKILL)
        second = wait_for(lambda: worker_pids(data_dir) - {first})
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=60)
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
    _output, errors = supervisor.communicate()

    assert "keep-running: worker exited with status 137; starting it again in 2 s" in errors
    assert supervisor.returncode is not None and errors.count("starting it again") == 1
    (restarted,) = second
    with pytest.raises(ProcessLookupError):
        os.kill(restarted, 0)  # stopped with its supervisor
    assert worker_pids(data_dir) == {first}  # it said it stopped; the killed one could not, and ages out in 2 minutes


def test_a_worker_given_signals_in_quick_succession_still_stops(tmp_path):
    data_dir = init_with_a_channel(tmp_path)
    worker = subprocess.Popen(
        [str(TIPLINE), "worker"],
        env=clean_environment(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: worker_pids(data_dir))

    for _signal in range(20):  # before, a second signal inside the first one's handler deadlocked it
        worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()

    assert worker.returncode == 0


def test_ctrl_c_in_make_runs_shell_stops_the_worker_and_its_supervisor_for_good(tmp_path):
    data_dir = init_with_a_channel(tmp_path)
    # As make's recipe starts it: in the background of a non-interactive shell, where SIGINT is ignored.
    shell = subprocess.Popen(
        ["sh", "-c", f'"{KEEP_RUNNING}" worker "{TIPLINE}" worker & wait'],
        env=clean_environment(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        (pid,) = wait_for(lambda: worker_pids(data_dir))
        os.killpg(shell.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's process group
        shell.wait(timeout=60)
    finally:
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGKILL)

    assert "starting it again" not in shell.stderr.read()
    assert worker_pids(data_dir) == set()  # it stopped when told, and said so
