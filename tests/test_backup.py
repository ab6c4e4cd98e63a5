"""Backups as an operator makes them: `tipline backup` of a live instance while tips arrive,
encrypted to a public key whose private half is elsewhere, `tipline restore` into a fresh
one, and a recipient there reads every tip and file. Archives are never written in clear;
damaged archives, wrong keys and non-empty targets are refused before anything is written."""

import hashlib
import json
import os
import secrets
import subprocess
import tarfile
import threading
import urllib.parse
import urllib.request

import psycopg
import pytest

from tests.system import (
    TIPLINE,
    clean_environment,
    free_port,
    run_tipline,
    stop,
    wait_until_serving,
)

pytestmark = pytest.mark.system
POSTGRES = os.environ.get("TIPLINE_DATABASE_URL", "").startswith("postgres")
SERVER = os.environ.get("TIPLINE_DATABASE_URL", "").rsplit("/", 1)[0]

SEED = """
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from tipline.operations.demo import load_demo
from tipline.testing.staff import make_staff, make_tip
from tipline.core.uploads import EncryptedUpload
load_demo()
make_staff("ana", ["general", "time-sensitive"])
for number in range(5):
    make_tip("general", f"backed-up tip {number}")
"""

READ_ALL = """
import django, json
django.setup()
from tipline.accounts.models import User
from tipline.core.models import Tip
from tipline.core.conversation import open_tip_for_recipient, read_answers
from tipline.crypto import recipient_keys
ana = User.objects.get(username="ana")
key = recipient_keys.unwrap_with_password(ana.private_key_by_password, "a long passphrase for ana", ana.key_owner)
texts = []
for tip in Tip.objects.all():
    tip_key = open_tip_for_recipient(tip, ana, key)
    texts.append(read_answers(tip, tip_key)[0].value)
print(json.dumps(sorted(texts)))
"""


@pytest.fixture
def fresh_database():
    """Settings for a new, empty database: SQLite in the data dir, or a PostgreSQL database
    made for the test and dropped after it."""
    made = []

    def make() -> dict:
        if not POSTGRES:
            return {}
        name = f"tipline_backup_{secrets.token_hex(4)}"
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        made.append(name)
        return {"DATABASE_URL": f"{SERVER}/{name}"}

    yield make
    for name in made:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def python(data_dir, code: str, **overrides) -> str:
    environment = clean_environment(data_dir, INSECURE_FAST_KDF="on", **overrides) | {
        "DJANGO_SETTINGS_MODULE": "tipline.settings"
    }
    return subprocess.run(
        [str(TIPLINE.parent / "python"), "-c", code], env=environment, check=True, capture_output=True, text=True
    ).stdout


def submit_through(port: int, text: str) -> None:
    form = urllib.request.urlopen(f"http://127.0.0.1:{port}/c/general/")
    page, cookie = form.read().decode(), form.headers["Set-Cookie"].split(";")[0]
    fields = {
        "csrfmiddlewaretoken": page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0],
        "form_token": page.split('name="form_token" value="')[1].split('"')[0],
        "answer-tip": text,
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/c/general/",
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Cookie": cookie, "Sec-Fetch-Site": "same-origin"},
    )
    urllib.request.urlopen(request).close()


LAST_AUDIT_ACTION = """
import django
django.setup()
from tipline.audit.models import AuditEntry
print(AuditEntry.objects.order_by("-id").first().action)
"""
CAN_TAKE_A_TIP = """
import django
django.setup()
from tipline.core.models import Channel
from tipline.core.submission import channel_is_receiving
print(all(channel_is_receiving(channel) for channel in Channel.objects.filter(recipients__isnull=False).distinct()))
"""


def test_backup_of_a_live_instance_restores_and_every_tip_reads(tmp_path, fresh_database):
    source, target = tmp_path / "source", tmp_path / "target"
    source_db, target_db = fresh_database(), fresh_database()
    assert run_tipline(source, "init", **source_db).returncode == 0
    python(source, SEED, **source_db)
    port = free_port()
    server = subprocess.Popen(
        [str(TIPLINE), "serve", "--port", str(port), "--workers", "1"],
        env=clean_environment(source, INSECURE_FAST_KDF="on", **source_db),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    archive = tmp_path / "backup.tlbk"
    key = tmp_path / "offline" / "backup.key"
    key.parent.mkdir()
    assert (
        run_tipline(tmp_path / "nowhere", "backup-key", str(key)).returncode == 0
    )  # made off the server: no instance needed
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/", server)
        arriving = threading.Thread(target=lambda: [submit_through(port, f"arriving tip {n}") for n in range(5)])
        arriving.start()
        made = run_tipline(source, "backup", str(archive), "--to", f"{key}.pub", **source_db)
        arriving.join()
    finally:
        stop(server)
    assert made.returncode == 0, made.stderr
    assert archive.stat().st_mode & 0o777 == 0o600

    encrypted = archive.read_bytes()
    assert b"manifest.json" not in encrypted and b"TIPLINE_" not in encrypted  # nothing in clear, not even names
    with pytest.raises(tarfile.TarError):
        tarfile.open(archive)
    contents = read_archive(archive, key)
    names = list(contents)
    assert not any(b"backed-up tip" in data for data in contents.values())  # tip content is ciphertext inside too
    manifest, settings_saved = json.loads(contents["manifest.json"]), json.loads(contents["settings.json"])
    assert "secret_key" not in names and manifest["with_secrets"] is False
    assert set(manifest["files"]) == set(names) - {"manifest.json", "manifest.sig"}
    assert "database.json" not in names and "database/000001.json" in names  # streamed in, in parts
    assert "TIPLINE_DATA_DIR" in settings_saved
    if POSTGRES:
        assert settings_saved["TIPLINE_DATABASE_URL"] == source_db["DATABASE_URL"]  # the test server has no password

    assert run_tipline(target, "init", **target_db).returncode == 0
    unsigned_for_it = run_tipline(target, "restore", str(archive), "--key", str(key), **target_db)
    assert unsigned_for_it.returncode == 1 and "not signed by this instance" in unsigned_for_it.stderr
    restored = run_tipline(
        target, "restore", str(archive), "--key", str(key), "--signed-by", signer_of(made), **target_db
    )
    assert restored.returncode == 0, restored.stderr
    texts = json.loads(python(target, READ_ALL, **target_db))
    backed_up = [text for text in texts if text.startswith("backed-up")]
    assert backed_up == [f"backed-up tip {n}" for n in range(5)]
    assert all(text.startswith(("backed-up", "arriving")) for text in texts)  # whatever arrived in time, whole
    assert (
        "the chain is intact" in run_tipline(target, "audit", "verify", **target_db).stdout
    )  # linked again, and logged:
    assert "restored-without-secret-key" in python(target, LAST_AUDIT_ACTION, **target_db)
    assert python(target, CAN_TAKE_A_TIP, **target_db).strip() == "True"  # public keys vouched for under the new key

    again = run_tipline(target, "restore", str(archive), "--key", str(key), "--signed-by", signer_of(made), **target_db)
    assert again.returncode == 1 and "holds data already" in again.stderr


def signer_of(made: subprocess.CompletedProcess) -> str:
    return made.stdout.split("Signed by ", 1)[1].split()[0]


def read_archive(archive, key) -> dict[str, bytes]:
    code = f"""
import django, json, base64
django.setup()
from tipline.operations.backup import Lock, members
from tipline.crypto.backups import PRIVATE_KEY_PREFIX, read_key
lock = Lock(private_key=read_key(open({str(key)!r}).read(), PRIVATE_KEY_PREFIX))
print(json.dumps({{name: base64.b64encode(reader.read()).decode() for name, reader in \
members(__import__("pathlib").Path({str(archive)!r}), lock)}}))
"""
    import base64

    return {name: base64.b64decode(data) for name, data in json.loads(python(archive.parent / "reader", code)).items()}


def test_a_damaged_archive_or_a_wrong_passphrase_is_refused_before_anything_is_restored(tmp_path, fresh_database):
    source, target = tmp_path / "source", tmp_path / "target"
    source_db, target_db = fresh_database(), fresh_database()
    assert run_tipline(source, "init", **source_db).returncode == 0
    python(source, SEED, **source_db)
    passphrase, wrong = tmp_path / "passphrase", tmp_path / "wrong"
    passphrase.write_text("correct horse battery staple, twice\n")
    wrong.write_text("a different passphrase, long enough\n")
    archive = tmp_path / "backup.tlbk"
    made = run_tipline(
        source, "backup", str(archive), "--with-secrets", "--passphrase-file", str(passphrase), **source_db
    )
    assert made.returncode == 0, made.stderr
    assert (source / "secret_key").read_bytes() not in archive.read_bytes()  # the secret key is never written in clear
    damaged = tmp_path / "damaged.tlbk"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 1
    damaged.write_bytes(bytes(data))
    assert run_tipline(target, "init", **target_db).returncode == 0

    refused = run_tipline(target, "restore", str(damaged), "--passphrase-file", str(passphrase), **target_db)
    wrong_one = run_tipline(target, "restore", str(archive), "--passphrase-file", str(wrong), **target_db)
    no_key = run_tipline(target, "restore", str(archive), **target_db)

    assert refused.returncode == 1 and "altered" in refused.stderr and "Nothing was restored" in refused.stderr
    assert wrong_one.returncode == 1 and "The passphrase does not open this backup" in wrong_one.stderr
    assert no_key.returncode == 2 and "--key" in no_key.stderr  # one of --key and --passphrase-file is required
    assert (
        json.loads(
            python(
                target,
                READ_ALL.replace(
                    'ana = User.objects.get(username="ana")',
                    "print(json.dumps(User.objects.count())); raise SystemExit",
                ),
                **target_db,
            )
        )
        == 0
    )

    secret_before = (target / "secret_key").read_bytes()
    assert (
        run_tipline(
            target,
            "restore",
            str(archive),
            "--passphrase-file",
            str(passphrase),
            "--signed-by",
            signer_of(made),
            **target_db,
        ).returncode
        == 0
    )
    assert (target / "secret_key").read_bytes() == (source / "secret_key").read_bytes() != secret_before
    assert hashlib.sha256((target / "secret_key").read_bytes()).hexdigest()


def test_a_backup_is_never_written_without_encryption_and_refuses_a_short_passphrase(tmp_path):
    assert run_tipline(tmp_path / "data", "init").returncode == 0
    short = tmp_path / "short"
    short.write_text("too short\n")

    unencrypted = run_tipline(tmp_path / "data", "backup", str(tmp_path / "plain.tar"))
    weak = run_tipline(tmp_path / "data", "backup", str(tmp_path / "weak.tlbk"), "--passphrase-file", str(short))

    assert (
        unencrypted.returncode == 2 and "one of the arguments --to --passphrase-file is required" in unencrypted.stderr
    )
    assert weak.returncode == 1 and "shorter than 16 characters" in weak.stderr
    assert not (tmp_path / "plain.tar").exists() and not (tmp_path / "weak.tlbk").exists()


def test_a_backup_keeps_settings_but_not_the_passwords_inside_addresses():
    from tipline.config import without_password

    assert (
        without_password("postgres://tipline:s3cret@db.internal:5432/tipline")
        == "postgres://tipline:***@db.internal:5432/tipline"
    )
    assert without_password("redis://:s3cret@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0"
    assert without_password("postgres://tipline@db.internal/tipline") == "postgres://tipline@db.internal/tipline"
    assert without_password("/srv/tipline/var") == "/srv/tipline/var"
