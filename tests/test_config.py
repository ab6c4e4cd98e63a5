"""One configuration for every process: a file read by `serve`, `worker` and every command,
the environment overriding it, `tipline config show` saying where each value came from;
the data directory found the same way from any current directory."""

import os
import signal
import subprocess
import time

import pytest

from tests.system import TIPLINE, clean_environment

# Never touches the database under test (clean_environment gives each command SQLite): once is enough.
pytestmark = [pytest.mark.system, pytest.mark.sqlite_only]


def tipline(*arguments: str, cwd, config=None, **environment: str) -> subprocess.CompletedProcess:
    variables = {key: value for key, value in clean_environment(cwd / "unused").items() if key != "TIPLINE_DATA_DIR"}
    if config is not None:
        variables["TIPLINE_CONFIG"] = str(config)
    variables |= {f"TIPLINE_{key}": value for key, value in environment.items()}
    return subprocess.run([str(TIPLINE), *arguments], cwd=cwd, env=variables, capture_output=True, text=True, timeout=120)


@pytest.fixture
def elsewhere(tmp_path):
    """A configuration file naming a data directory, and a current directory far from both."""
    config = tmp_path / "etc" / "tipline.toml"
    config.parent.mkdir()
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\nallowed_hosts = ["tips.example.org"]\ninsecure_fast_kdf = true\n'
        's3_secret_access_key = "very-secret-1234"\nmax_files_per_tip = 3\n'
    )
    somewhere = tmp_path / "somewhere" / "else"
    somewhere.mkdir(parents=True)
    assert tipline("init", cwd=somewhere, config=config).returncode == 0
    return config, somewhere, tmp_path / "data"


def test_config_show_says_where_each_value_came_from_and_masks_secrets(elsewhere):
    config, somewhere, data = elsewhere

    shown = tipline("config", "show", cwd=somewhere, config=config, MAX_FILES_PER_TIP="7").stdout

    assert f"Configuration file: {config}" in shown
    assert f"DATA_DIR = {data}    ({config})" in shown
    assert f"ALLOWED_HOSTS = tips.example.org    ({config})" in shown
    assert "MAX_FILES_PER_TIP = 7    (environment (TIPLINE_MAX_FILES_PER_TIP))" in shown  # the environment wins
    assert "S3_SECRET_ACCESS_KEY = ********" in shown and "very-secret-1234" not in shown
    assert f"SECRET_KEY_FILE = {data / 'secret_key'}    (default)" in shown  # where the secret lives is no secret
    assert "DEBUG = False    (default)" in shown


def test_the_worker_and_jobs_status_run_from_another_directory_and_leave_nothing_there(elsewhere):
    config, somewhere, data = elsewhere
    environment = {key: value for key, value in clean_environment(somewhere).items() if key != "TIPLINE_DATA_DIR"}
    worker = subprocess.Popen(
        [str(TIPLINE), "worker"], cwd=somewhere, env=environment | {"TIPLINE_CONFIG": str(config)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    time.sleep(4)
    status = tipline("jobs", "status", cwd=somewhere, config=config)
    os.killpg(worker.pid, signal.SIGTERM)
    output = worker.communicate(timeout=30)[0]

    assert worker.returncode == 0, output
    assert "running background jobs" in output and "Traceback" not in output
    assert status.returncode == 0 and "deadline-scan" in status.stdout
    assert list(somewhere.iterdir()) == []  # no stray var/
    assert (data / "tipline.sqlite3").exists()


def test_no_data_directory_is_one_line_and_creates_nothing(tmp_path):
    missing = tmp_path / "not-there"

    result = tipline("jobs", "status", cwd=tmp_path, DATA_DIR=str(missing))

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"tipline jobs: there is no data directory at {missing}: run tipline init, or name yours with TIPLINE_DATA_DIR "
        "or data_dir in the configuration file."
    ]
    assert not missing.exists()


def test_a_mistyped_key_in_the_file_is_named_in_one_line(elsewhere):
    config, somewhere, _data = elsewhere
    config.write_text(config.read_text() + "alowed_hosts = []\n")

    result = tipline("check", cwd=somewhere, config=config)

    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [f"tipline check: {config}: unknown setting(s): alowed_hosts (docs/configuration.md lists them)."]


def test_init_keeps_the_secret_outside_the_data_directory_and_moves_one_already_beside_it(tmp_path):
    data, secret_dir = tmp_path / "data", tmp_path / "secret"
    assert tipline("init", cwd=tmp_path, DATA_DIR=str(data)).returncode == 0
    before = (data / "secret_key").read_text()

    moved = tipline("init", "--secret-dir", str(secret_dir), cwd=tmp_path, DATA_DIR=str(data))
    again = tipline("init", "--secret-dir", str(secret_dir), cwd=tmp_path, DATA_DIR=str(data))
    check = tipline("check", cwd=tmp_path, DATA_DIR=str(data))
    elsewhere = tipline("init", "--secret-dir", str(tmp_path / "other"), cwd=tmp_path, DATA_DIR=str(data))

    assert moved.returncode == 0 and "Moved the secret key" in moved.stdout, moved.stderr
    assert not (data / "secret_key").exists() and (secret_dir / "secret_key").read_text() == before
    assert (secret_dir / "secret_key").stat().st_mode & 0o777 == 0o600 and secret_dir.stat().st_mode & 0o777 == 0o700
    assert (data / "tipline.toml").read_text().count("secret_key_file") == 1 and again.returncode == 0
    assert "secret key file is in the data directory" not in check.stdout
    assert elsewhere.returncode == 1 and "already named" in elsewhere.stderr and len(elsewhere.stderr.splitlines()) == 1
