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
    return subprocess.run(
        [str(TIPLINE), *arguments], cwd=cwd, env=variables, capture_output=True, text=True, timeout=120
    )


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
        [str(TIPLINE), "worker"],
        cwd=somewhere,
        env=environment | {"TIPLINE_CONFIG": str(config)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
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
    assert result.stderr.splitlines() == [
        f"tipline check: {config}: unknown setting(s): alowed_hosts (docs/configuration.md lists them)."
    ]


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


def _as_root_on_the_default_data_directory(script: str, cwd) -> subprocess.CompletedProcess:
    """Run `script` (sh, with $TIPLINE the command) as root with an empty /var/lib of its own
    (a private mount namespace): the machine's real /var/lib/tipline is never touched."""
    if os.geteuid() != 0 or subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs root and a mount namespace of its own")
    variables = {key: value for key, value in clean_environment(cwd / "unused").items() if key != "TIPLINE_DATA_DIR"}
    variables["TIPLINE"] = str(TIPLINE)
    wrapped = f"mount -t tmpfs none /var/lib && {script}"
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-ec", wrapped],
        cwd=cwd,
        env=variables,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_root_keeps_the_secret_key_of_the_default_data_directory_outside_it(tmp_path):
    """Issue 31, finding 17: a copy of /var/lib/tipline minted insider tokens, its key inside."""
    result = _as_root_on_the_default_data_directory(
        '"$TIPLINE" init >/dev/null; "$TIPLINE" init >/dev/null; '
        'echo "data: $(ls /var/lib/tipline)"; stat -c "key: %a" /var/lib/tipline-secret/secret_key; '
        'stat -c "dir: %a" /var/lib/tipline-secret; "$TIPLINE" check || true',
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    data_line = next(line for line in result.stdout.splitlines() if line.startswith("data: "))
    assert "secret_key" not in data_line.split()
    assert "key: 600" in result.stdout and "dir: 700" in result.stdout
    assert "secret key file is in the data directory" not in result.stdout + result.stderr


def test_no_command_but_init_replaces_a_missing_or_other_secret_key(tmp_path):
    """A new user's `tipline check` made a new key where the configured file was missing: every
    channel then failed its check, as if tampered with, and the audit chain broke for good."""
    data = tmp_path / "data"
    assert tipline("init", cwd=tmp_path, DATA_DIR=str(data)).returncode == 0
    (data / "secret_key").rename(tmp_path / "secret_key.kept")

    missing = [tipline(command, cwd=tmp_path, DATA_DIR=str(data)) for command in ("check", "serve")]
    elsewhere = tipline("check", cwd=tmp_path, DATA_DIR=str(data), SECRET_KEY_FILE=str(tmp_path / "new" / "secret_key"))
    (tmp_path / "other_key").write_text("x" * 86)
    another = tipline("check", cwd=tmp_path, DATA_DIR=str(data), SECRET_KEY_FILE=str(tmp_path / "other_key"))

    for result in [*missing, elsewhere]:
        assert result.returncode == 1 and "is missing, but a key was made for the data directory" in result.stderr, (
            result.stderr
        )
        assert len(result.stderr.splitlines()) == 1
    assert not (data / "secret_key").exists() and not (tmp_path / "new" / "secret_key").exists()
    assert another.returncode == 1 and "holds another key than the one made for the data directory" in another.stderr
    (tmp_path / "secret_key.kept").rename(data / "secret_key")
    assert tipline("check", cwd=tmp_path, DATA_DIR=str(data)).returncode in (0, 1)
    assert "secret key" not in tipline("audit", "verify", cwd=tmp_path, DATA_DIR=str(data)).stderr


def test_a_configuration_in_the_current_directory_is_read_only_when_file_and_directory_are_yours_alone(
    tmp_path, monkeypatch
):
    from tipline.config import find_config_file

    monkeypatch.delenv("TIPLINE_DATA_DIR")
    monkeypatch.delenv("TIPLINE_CONFIG", raising=False)
    checkout = tmp_path / "checkout"
    checkout.mkdir(mode=0o755)
    (checkout / "tipline.toml").write_text('base_url = "http://127.0.0.1:8200"\n')
    monkeypatch.chdir(checkout)

    read = find_config_file()
    (checkout / "tipline.toml").chmod(0o666)
    writable_file = find_config_file()
    (checkout / "tipline.toml").chmod(0o600)
    checkout.chmod(0o777)  # another user could swap the file for theirs
    writable_directory = find_config_file()

    assert read == checkout / "tipline.toml"
    assert writable_file != checkout / "tipline.toml" and writable_directory != checkout / "tipline.toml"


def test_internal_networks_are_comma_separated_in_the_environment_and_a_list_in_the_file(elsewhere):
    config, somewhere, _data = elsewhere

    from_environment = tipline(
        "config", "show", cwd=somewhere, config=config, ALERT_INTERNAL_NETWORKS="127.0.0.1/32, 10.8.0.0/16"
    )
    config.write_text(config.read_text() + 'alert_internal_networks = ["127.0.0.1/32", "10.8.0.0/16"]\n')
    left_to_the_file = ("TIPLINE_ALERT_INTERNAL_NETWORKS", "TIPLINE_DATA_DIR")
    variables = {key: value for key, value in clean_environment(somewhere).items() if key not in left_to_the_file}
    from_file = subprocess.run(
        [str(TIPLINE), "config", "show"],
        cwd=somewhere,
        env=variables | {"TIPLINE_CONFIG": str(config)},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert "ALERT_INTERNAL_NETWORKS = 127.0.0.1/32, 10.8.0.0/16    (environment" in from_environment.stdout
    assert f"ALERT_INTERNAL_NETWORKS = 127.0.0.1/32, 10.8.0.0/16    ({config})" in from_file.stdout


def test_the_file_form_of_internal_networks_in_the_environment_is_told_in_one_line(elsewhere):
    config, somewhere, _data = elsewhere

    shown = tipline("config", "show", cwd=somewhere, config=config, ALERT_INTERNAL_NETWORKS='["127.0.0.1/32"]')

    assert shown.returncode != 0 and len(shown.stderr.strip().splitlines()) == 1
    assert "separate networks with commas (TIPLINE_ALERT_INTERNAL_NETWORKS=127.0.0.1/32,10.8.0.0/16)" in shown.stderr
