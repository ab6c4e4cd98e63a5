"""The `tipline` command as an operator uses it: init, demo, check, createuser, help."""

import shutil
import sqlite3
import stat
import subprocess

import pytest

from tests.system import REPO_ROOT, TIPLINE, clean_environment, run_tipline
from tipline.cli.text import language_from

pytestmark = [pytest.mark.system, pytest.mark.sqlite_only]


def count_rows(data_dir, table: str) -> int:
    with sqlite3.connect(data_dir / "tipline.sqlite3") as database:
        return database.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


def configure_secret_apart(data_dir) -> None:
    (data_dir / "tipline.toml").write_text(f'secret_key_file = "{data_dir.parent / "secrets" / "secret_key"}"\n')


@pytest.fixture(scope="module")
def initialised_once(tmp_path_factory):
    """One `tipline init` of an instance set up as `tipline check` wants: its secret key
    apart from the data directory, named by the data directory's own configuration file, and
    an organisation recovery key whose private half was made elsewhere."""
    data_dir = tmp_path_factory.mktemp("initialised") / "data"
    data_dir.mkdir(mode=0o700)
    configure_secret_apart(data_dir)
    recovery_key = data_dir.parent / "admins-laptop" / "recovery.key"
    recovery_key.parent.mkdir()
    assert run_tipline(data_dir.parent / "nowhere", "recovery-key", "new", str(recovery_key)).returncode == 0
    result = run_tipline(data_dir, "init", "--recovery-key", f"{recovery_key}.pub")
    assert result.returncode == 0, result.stderr
    assert "Recovery key generation 1 installed" in result.stdout
    return data_dir


@pytest.fixture
def initialised(initialised_once, data_dir):
    """A copy of that instance, data directory and secret, for each test (init takes seconds)."""
    shutil.copytree(initialised_once, data_dir)
    shutil.copytree(initialised_once.parent / "secrets", data_dir.parent / "secrets")
    configure_secret_apart(data_dir)
    return data_dir


def test_init_and_demo_can_run_twice_without_duplicates(data_dir):
    first = [run_tipline(data_dir, "init"), run_tipline(data_dir, "demo")]
    second = [run_tipline(data_dir, "init"), run_tipline(data_dir, "demo")]

    assert [result.returncode for result in first + second] == [0, 0, 0, 0], second[1].stderr
    assert count_rows(data_dir, "core_channel") == 3
    assert count_rows(data_dir, "core_formfield") == 9
    assert count_rows(data_dir, "accounts_user") == 2  # demo-recipient and demo-admin
    assert count_rows(data_dir, "insider_organisation") == 1 and count_rows(data_dir, "insider_member") == 2
    assert "Demo channels created: 3" in first[1].stdout
    assert "One-time password: " in first[1].stdout
    assert first[1].stdout.count("one-time code: ") == 2 and "ten-minute periods" in first[1].stdout
    assert "Demo channels created: 0" in second[1].stdout
    assert "tipline resetuser demo-recipient" in second[1].stdout and "tipline resetuser demo-admin" in second[1].stdout
    assert first[1].stdout.count("One-time password: ") == 2 and "Demo admin: demo-admin" in first[1].stdout
    assert "one-time code" not in second[1].stdout
    with sqlite3.connect(data_dir / "tipline.sqlite3") as database:  # the admin signed in and chose a password
        database.execute("UPDATE accounts_user SET must_change_password = 0 WHERE username = 'demo-admin'")
    third = run_tipline(data_dir, "demo")
    assert "The demo admin is set up already: sign in with the password chosen" in third.stdout
    assert "tipline resetuser demo-admin" not in third.stdout and "tipline resetuser demo-recipient" in third.stdout


def test_resetuser_gives_a_new_one_time_password_and_key_pair(initialised):
    run_tipline(initialised, "demo")
    with sqlite3.connect(initialised / "tipline.sqlite3") as database:
        old_key = database.execute("SELECT public_key FROM accounts_user").fetchone()[0]

    reset = run_tipline(initialised, "resetuser", "demo-recipient")
    unknown = run_tipline(initialised, "resetuser", "nobody")
    only_admin = run_tipline(initialised, "resetuser", "demo-admin")  # the way back in, refused on the web

    assert reset.returncode == 0 and "One-time password: " in reset.stdout
    assert only_admin.returncode == 0 and "One-time password: " in only_admin.stdout
    with sqlite3.connect(initialised / "tipline.sqlite3") as database:
        assert database.execute("SELECT public_key FROM accounts_user").fetchone()[0] != old_key
    assert unknown.returncode == 1 and "no user named 'nobody'" in unknown.stderr


def test_init_creates_a_private_secret_key_and_a_wal_database(initialised):
    key_file = initialised.parent / "secrets" / "secret_key"

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(initialised.stat().st_mode) == 0o700
    with sqlite3.connect(initialised / "tipline.sqlite3") as database:
        assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_check_names_what_a_demo_instance_must_fix_before_going_live(data_dir):
    assert run_tipline(data_dir, "init").returncode == 0
    assert run_tipline(data_dir, "demo").returncode == 0
    backups = data_dir.parent / "backups"
    backups.mkdir()

    result = run_tipline(data_dir, "check", BACKUP_DIR=str(backups))

    assert result.returncode == 1
    for expected in (
        f"The secret key file is in the data directory {data_dir}",
        "The demo account demo-recipient is active: first create your own admin",
        "The demo account demo-admin is active",
        "Accounts with an unused one-time password: demo-admin, demo-recipient.",
        "Channel demo-insiders takes tokens of the demo organisation",
        f"No backup in {backups} is newer than a day",
    ):
        assert expected in result.stdout, result.stdout
    assert all(line.startswith("  - ") for line in result.stdout.splitlines()[1:])  # one line each, with its fix


def test_check_names_a_channel_nobody_reads_and_an_instance_nobody_hears(initialised, tmp_path):
    channel = tmp_path / "tips.yaml"
    channel.write_text('slug: tips\nname: Tips\nfields:\n  - {key: what, kind: long_text, label: "What?"}\n')
    assert run_tipline(initialised, "channel", "import", str(channel)).returncode == 0

    result = run_tipline(initialised, "check")

    assert result.returncode == 1
    assert "Channel tips has no recipient who could read its tips, so it takes none" in result.stdout
    assert "There is no alert route: nobody would hear of a new tip or a deadline." in result.stdout


def test_a_recovery_key_is_made_off_the_server_installed_on_it_and_checked_for(data_dir, tmp_path):
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    made = run_tipline(tmp_path / "nowhere", "recovery-key", "new", str(laptop / "recovery.key"))
    again = run_tipline(tmp_path / "nowhere", "recovery-key", "new", str(laptop / "recovery.key"))
    assert run_tipline(data_dir, "init").returncode == 0
    before = run_tipline(data_dir, "check")

    installed = run_tipline(data_dir, "recovery-key", "install", str(laptop / "recovery.key.pub"))
    wrong = run_tipline(data_dir, "recovery-key", "install", str(laptop / "recovery.key"))
    shown = run_tipline(data_dir, "recovery-key", "show")

    assert made.returncode == 0 and stat.S_IMODE((laptop / "recovery.key").stat().st_mode) == 0o600
    assert not (tmp_path / "nowhere").exists()  # made without an instance
    assert again.returncode == 1 and "exists already" in again.stderr
    fingerprint = made.stdout.split("fingerprint ")[1].split(".")[0]
    assert before.returncode == 1 and "There is no organisation recovery key" in before.stdout
    assert installed.returncode == 0 and fingerprint in installed.stdout
    assert wrong.returncode == 1 and "is not a public key file" in wrong.stderr  # the private half is refused
    assert shown.returncode == 0 and f"Generation 1, current, fingerprint {fingerprint}: 0 tips" in shown.stdout
    assert "recovery-key-installed" in audit_actions(data_dir, "recovery key")
    assert "recovery key" not in run_tipline(data_dir, "check").stdout


def test_check_passes_on_a_good_configuration(initialised):
    result = run_tipline(initialised, "check")

    assert result.returncode == 0, result.stdout
    assert "no problems found" in result.stdout


def test_check_deploy_adds_djangos_deployment_checks_with_their_ids(initialised):
    # The tests' own switch for Django's async safety (tipline.testing.environment), which --deploy rightly names.
    environment = {
        key: value for key, value in clean_environment(initialised).items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    clean = subprocess.run(
        [str(TIPLINE), "check", "--deploy"], env=environment, capture_output=True, text=True, timeout=120
    )
    debug = run_tipline(initialised, "check", "--deploy", "--configuration-only", DEBUG="on")

    assert clean.returncode == 0, clean.stdout  # what does not apply behind Tipline's own TLS proxy is silenced
    assert debug.returncode == 1
    assert "  - TIPLINE_DEBUG is on: error pages would show internals. Unset it." in debug.stdout.splitlines()
    assert any(line.startswith("  - ") and line.endswith("(security.W018)") for line in debug.stdout.splitlines())


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"DEBUG": "on"}, "TIPLINE_DEBUG is on"),
        ({"INSECURE_FAST_KDF": "yes"}, "TIPLINE_INSECURE_FAST_KDF is on"),
        ({"ALLOWED_HOSTS": "tips.example.org"}, "TIPLINE_HTTPS is off while the tip line answers to tips.example.org"),
        ({"CACHE_URL": "redis://127.0.0.1:9/0"}, "The cache cannot be reached; check TIPLINE_CACHE_URL"),
        ({"ALLOWED_HOSTS": "*"}, "contains '*'"),
        ({"DATABASE_URL": "postgres://nobody@127.0.0.1:9/none"}, "The database cannot be reached"),
    ],
)
def test_check_fails_and_says_what_to_fix(initialised, overrides, expected):
    result = run_tipline(initialised, "check", **overrides)

    assert result.returncode == 1
    assert expected in result.stdout


def test_check_names_old_alert_settings_that_are_no_longer_read(initialised):
    result = run_tipline(initialised, "check", SMTP_HOST="mail.example.org", WEBHOOK_URL="https://hooks.example.org/x")

    assert result.returncode == 1
    assert "TIPLINE_SMTP_HOST is set, but alerts now go through routes" in result.stdout
    assert "TIPLINE_WEBHOOK_URL is set, but alerts now go through routes" in result.stdout


def test_routes_are_added_listed_tested_and_removed_from_the_command_line(initialised, hook_receiver, tmp_path):
    import json

    secret_file = tmp_path / "secret"
    secret_file.write_text("signing-secret\n")
    added = run_tipline(
        initialised,
        "routes",
        "add",
        "hook",
        "--kind",
        "webhook",
        "--target",
        f"{hook_receiver.url}/x",
        "--secret-file",
        str(secret_file),
    )
    refused = run_tipline(
        initialised,
        "routes",
        "add",
        "open",
        "--kind",
        "webhook",
        "--target",
        "http://hooks.example.org/x",
        "--secret-file",
        str(secret_file),
    )
    listed = run_tipline(initialised, "routes", "list")
    tested = run_tipline(initialised, "routes", "test", "hook")
    hook_receiver.down = True
    failed = run_tipline(initialised, "routes", "test", "hook")
    listed_after = run_tipline(initialised, "routes", "list")
    removed = run_tipline(initialised, "routes", "remove", "hook")
    again = run_tipline(initialised, "routes", "remove", "hook")

    assert added.returncode == 0 and "tipline routes test hook" in added.stdout
    assert refused.returncode == 1 and "Use https://" in refused.stderr
    assert listed.stdout.startswith(
        f"hook\twebhook\thttp://127.0.0.1:{hook_receiver.port}\tevery channel\tnot used yet"
    )
    assert tested.returncode == 0 and "hook took the test alert" in tested.stdout
    assert json.loads(hook_receiver.accepted()[0].body)["event"] == "test"
    assert failed.returncode == 1 and "hook failed: HTTP 503 Service Unavailable" in failed.stderr
    assert "failing (1 failed attempt since it last worked): HTTP 503" in listed_after.stdout
    assert removed.returncode == 0 and again.returncode == 1 and "No route named hook" in again.stderr
    assert not any(b"signing-secret" in path.read_bytes() for path in initialised.glob("tipline.sqlite3*"))


def test_check_reports_a_readable_secret_key_and_pending_migrations(data_dir):
    data_dir.mkdir()  # a data directory nobody ran `tipline init` on (commands never make one)
    run_tipline(data_dir, "check")  # creates the key, but no database tables
    (data_dir / "secret_key").chmod(0o644)

    result = run_tipline(data_dir, "check")

    assert result.returncode == 1
    assert "secret key file" in result.stdout and "chmod 600" in result.stdout
    assert "migrations are not applied; run: tipline init" in result.stdout


def test_a_bad_setting_value_is_explained(initialised):
    result = run_tipline(initialised, "check", MAX_FILE_BYTES="lots")

    assert result.returncode != 0
    assert "TIPLINE_MAX_FILE_BYTES='lots': expected a whole number." in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "DEADLINE_ALERT_HOURS",
            "abc",
            "TIPLINE_DEADLINE_ALERT_HOURS: 'abc' is not a whole number of hours (e.g. 24,2).",
        ),
        (
            "DEADLINE_ALERT_HOURS",
            "24,-2",
            "TIPLINE_DEADLINE_ALERT_HOURS: -2 hours is too few; each must be at least 1.",
        ),
        ("DEADLINE_ALERT_HOURS", "-3", "TIPLINE_DEADLINE_ALERT_HOURS: -3 hours is too few; each must be at least 1."),
        (
            "DUTY_REMINDER_HOURS",
            "abc",
            "TIPLINE_DUTY_REMINDER_HOURS: 'abc' is not a whole number of hours (e.g. 24,2).",
        ),
    ],
)
def test_bad_alert_hours_are_explained_in_one_line(initialised, name, value, expected):
    result = run_tipline(initialised, "check", **{name: value})

    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [f"tipline check: {expected}"]


def test_a_cache_url_that_is_not_redis_is_explained(initialised):
    result = run_tipline(initialised, "check", CACHE_URL="memcached://somewhere")

    assert result.returncode != 0
    assert "TIPLINE_CACHE_URL='memcached://somewhere': use redis://" in result.stderr


def test_createuser_prints_a_one_time_password_and_refuses_unknown_channels(initialised):
    created = run_tipline(initialised, "createuser", "alex", "--role", "admin")
    duplicate = run_tipline(initialised, "createuser", "alex", "--role", "admin")
    unknown = run_tipline(initialised, "createuser", "sam", "--role", "recipient", "--channel", "nowhere")

    assert created.returncode == 0 and "One-time password: " in created.stdout
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    assert unknown.returncode == 1 and "No channel with slug nowhere" in unknown.stderr


def test_jobs_status_before_any_worker_ran(initialised):
    result = run_tipline(initialised, "jobs", "status")

    assert result.returncode == 0
    assert "Tasks: ready 0, running 0, failed 0, successful 0" in result.stdout
    assert "nothing yet (no worker has run)" in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        "init",
        "demo",
        "serve",
        "worker",
        "jobs",
        "createuser",
        "resetuser",
        "check",
        "channel",
        "insiders",
        "backup",
        "restore",
        "metrics",
        "audit",
        "manage",
        "recovery-key",
    ],
)
def test_every_command_explains_itself(data_dir, command):
    result = run_tipline(data_dir, command, "--help")

    assert result.returncode == 0
    assert f"usage: tipline {command}" in result.stdout


def test_each_console_script_names_a_function_and_python_m_runs_the_same_command(data_dir):
    import importlib
    import sys
    import tomllib

    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert set(scripts) == {"tipline", "tipline-token", "tipline-reader"}
    for name, target in scripts.items():
        module, _colon, function = target.partition(":")
        assert callable(getattr(importlib.import_module(module), function, None)), f"{name} = {target}"
    for module, usage in (("tipline.cli", "usage: tipline [-h]"), ("tipline.members.cli", "usage: tipline-token [-h]")):
        result = subprocess.run(
            [sys.executable, "-m", module, "--help"],
            env=clean_environment(data_dir),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0 and result.stdout.startswith(usage), result.stderr
    assert not data_dir.exists()


def test_version(data_dir):
    result = run_tipline(data_dir, "--version")

    assert result.returncode == 0
    assert result.stdout.startswith("tipline 0.")


def audit_actions(data_dir, target: str) -> list[str]:
    import sqlite3

    with sqlite3.connect(data_dir / "tipline.sqlite3") as database:
        return [
            row[0]
            for row in database.execute("SELECT action FROM audit_auditentry WHERE target = ? ORDER BY id", (target,))
        ]


def test_channel_import_and_export_from_the_command_line(initialised, tmp_path):
    good = tmp_path / "tips.yaml"
    good.write_text('slug: tips\nname: Tips\nfields:\n  - {key: what, kind: long_text, label: "What?"}\n')
    bad = tmp_path / "bad.json"
    bad.write_text('{"slug": "bad", "name": "Bad", "fields": [{"key": "x", "kind": "dropdown", "label": "X"}]}')

    imported = run_tipline(initialised, "channel", "import", str(good), str(bad))
    exported = run_tipline(initialised, "channel", "export", "tips", "--json")
    missing = run_tipline(initialised, "channel", "export", "nowhere")

    assert imported.returncode == 1
    assert "channel 'tips' created with 1 fields" in imported.stdout
    assert "channel 'tips' has no recipient who could read its tips, so it takes none" in imported.stderr
    assert audit_actions(initialised, "tips") == ["channel-changed"]  # as a change on the admin pages is
    assert "bad.json: not imported:" in imported.stderr and "fields[0].kind" in imported.stderr
    assert exported.returncode == 0 and '"slug": "tips"' in exported.stdout
    assert missing.returncode == 1 and "no channel with slug 'nowhere'" in missing.stderr


def test_insiders_from_the_command_line(initialised, tmp_path):
    listing = tmp_path / "officers.txt"
    listing.write_text("officer 1\nofficer 2\n")
    channel = tmp_path / "officers.yaml"
    channel.write_text(
        "slug: officers\nname: Officers\ninsider_tokens: required\ninsider_organisation: police\n"
        "fields:\n  - {key: tip, kind: long_text, label: Tip}\n"
    )

    too_early = run_tipline(initialised, "channel", "import", str(channel))
    created = run_tipline(initialised, "insiders", "create", "police", "--name", "Metropolitan Police")
    added = run_tipline(initialised, "insiders", "add-members", "police", str(listing))
    renewed = run_tipline(initialised, "insiders", "new-code", "police", "officer 2")
    unknown = run_tipline(initialised, "insiders", "new-code", "police", "officer 9")
    rotated = run_tipline(initialised, "insiders", "rotate")
    imported = run_tipline(initialised, "channel", "import", str(channel))

    assert too_early.returncode == 1 and "no organisation 'police'" in too_early.stderr
    assert created.returncode == 0 and "/insiders/police/" in created.stdout
    assert added.returncode == 0 and added.stdout.count("officer ") == 2 and "shown only now" in added.stdout
    assert renewed.returncode == 0 and "officer 2\t" in renewed.stdout
    assert unknown.returncode == 1 and "no member 'officer 9'" in unknown.stderr
    assert rotated.returncode == 0 and "keys made" in rotated.stdout
    assert imported.returncode == 0 and count_rows(initialised, "insider_issuerkey") == 3


def run_in_language(data_dir, locale: dict[str, str], *arguments: str, **overrides: str) -> subprocess.CompletedProcess:
    environment = clean_environment(data_dir, **overrides) | locale
    return subprocess.run([str(TIPLINE), *arguments], env=environment, capture_output=True, text=True, timeout=120)


def test_the_command_speaks_the_language_its_environment_names(initialised):
    spanish = run_in_language(initialised, {"LANG": "es_ES.UTF-8"}, "check")
    arabic = run_in_language(initialised, {"LC_ALL": "ar_EG.UTF-8"}, "check", DEBUG="on")
    refused = run_in_language(
        initialised, {"LANGUAGE": "fr:es"}, "createuser", "sam", "--role", "recipient", "--channel", "nowhere"
    )
    french = run_in_language(initialised, {"LANG": "fr_FR.UTF-8"}, "check")

    assert spanish.returncode == 0 and spanish.stdout.strip() == "tipline check: no se encontró ningún problema."
    assert arabic.returncode == 1 and "TIPLINE_DEBUG مفعّل: ستعرض صفحات الخطأ تفاصيل داخلية. ألغِه." in arabic.stdout
    assert "tipline check: مشكلة واحدة يجب إصلاحها:" in arabic.stdout  # Arabic's own plural form for one
    assert refused.returncode == 1 and "No hay ningún canal con el nombre corto nowhere." in refused.stderr
    assert french.stdout.strip() == "tipline check: no problems found."  # no French: English


def test_help_is_translated_without_setting_anything_up(tmp_path):
    data_dir = tmp_path / "never-created"

    arabic = run_in_language(data_dir, {"LANG": "ar_SA.UTF-8"}, "--help")
    spanish = run_in_language(data_dir, {"LANG": "es_MX.UTF-8"}, "backup", "--help")

    assert arabic.returncode == 0 and "Tipline: خط بلاغات مجهول الهوية وآمن تستضيفه بنفسك." in arabic.stdout
    assert "incluir el archivo de la clave secreta y la configuración secreta" in " ".join(spanish.stdout.split())
    assert not data_dir.exists()


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "en"),
        ({"LANG": "es_ES.UTF-8"}, "es"),
        ({"LANG": "C.UTF-8", "LC_MESSAGES": "ar_EG"}, "ar"),
        ({"LANGUAGE": "de:ar", "LANG": "es_ES.UTF-8"}, "ar"),  # LANGUAGE's list, in order, first
        ({"LC_ALL": "C", "LANG": "es_ES.UTF-8"}, "en"),  # LC_ALL set overrides LANG
        ({"LANG": "es@euro"}, "es"),
        ({"LANG": "pt_BR.UTF-8"}, "en"),
    ],
)
def test_the_language_is_chosen_as_other_commands_choose_theirs(environment, expected):
    assert language_from(environment) == expected
