"""Running the installed `tipline` command (and make) the way an operator would."""

import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TIPLINE = Path(sys.executable).parent / "tipline"


LANGUAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


SHARED_MEMORY_DIR = Path(os.environ["TIPLINE_RUNTIME_DIR"])


def clean_environment(data_dir: Path, **overrides: str) -> dict[str, str]:
    """The caller's environment without any TIPLINE_* setting, plus a data dir and overrides.
    The command speaks English here whatever the caller's locale (tests of other languages set LANG)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TIPLINE_")}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    for variable in LANGUAGE_VARIABLES:
        environment.pop(variable, None)
    environment["LANG"] = "C.UTF-8"
    environment["TIPLINE_DATA_DIR"] = str(data_dir)
    # Each data directory's shared cache inside this run's own, removed when the run ends.
    environment["TIPLINE_RUNTIME_DIR"] = str(
        SHARED_MEMORY_DIR / hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
    )
    # Alert routes may reach the tests' receivers, on 127.0.0.1 (tipline.testing.environment).
    environment["TIPLINE_ALERT_INTERNAL_NETWORKS"] = os.environ["TIPLINE_ALERT_INTERNAL_NETWORKS"]
    environment.update({f"TIPLINE_{key}": value for key, value in overrides.items()})
    return environment


def run_tipline(data_dir: Path, *arguments: str, **overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(TIPLINE), *arguments],
        env=clean_environment(data_dir, **overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode} before serving")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def start(command: list[str], data_dir: Path, cwd: Path = REPO_ROOT) -> subprocess.Popen:
    """A command in its own process group (so that `stop` ends its children too), with a clean
    environment for this data dir, its output kept for `stop` to return."""
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=clean_environment(data_dir),
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen) -> str:
    """Stop a server started in its own process group and return what it printed."""
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
    assert process.stdout is not None, "the process was started without stdout=PIPE"
    return process.stdout.read()


# `make run` in a checkout_copy must not install anything: its .venv is this run's own, linked,
# and an editable install from the copy would point the shared venv at a temporary directory.
KEEP_SHARED_VENV = ("-o", ".venv/bin/python", "-o", ".venv/.installed-runtime")


def checkout_copy(directory: Path) -> Path:
    """A directory that looks like this checkout to `make run` (its Makefile, scripts, project
    files and the installed .venv, linked), so that what `make run` writes there (./var,
    ./tipline.toml) is this test's alone."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("Makefile", "scripts", "pyproject.toml", "constraints.txt", "requirements"):
        (directory / name).symlink_to(REPO_ROOT / name)
    (directory / ".venv").symlink_to(Path(sys.executable).parents[1])
    return directory


def checkout_environment(checkout: Path) -> dict[str, str]:
    """A new shell's environment, in English, without any TIPLINE_* setting but where the
    shared cache goes (inside this run's own, so that it is removed when the run ends)."""
    environment = {
        key: value for key, value in clean_environment(checkout / "var").items() if not key.startswith("TIPLINE_")
    }
    environment["TIPLINE_RUNTIME_DIR"] = str(
        SHARED_MEMORY_DIR / hashlib.sha256(str(checkout).encode()).hexdigest()[:16]
    )
    return environment
