"""A backup's database dump goes straight into the encrypted archive (no temporary file), and
a restore accepts only an archive signed by this instance or by the signer the operator
names: an unsigned, foreign or older-format archive is refused before anything is written."""

import errno
import json
import os
import tarfile
import tempfile
import threading
import time

import pytest
from django.core.management import call_command

from tipline.operations import backup
from tipline.operations.backup import BackupError, Lock, restore_backup, write_backup
from tipline.testing.staff import make_staff, make_tip

# Not inside a test transaction: on PostgreSQL the dump opens its own REPEATABLE READ snapshot.
pytestmark = pytest.mark.django_db(transaction=True)
LOCK = Lock(passphrase=b"a passphrase long enough for tests")
OTHER_SECRET = "another instance's secret key, not this one's"


@pytest.fixture
def archive(tmp_path, demo_channels):
    make_staff("ana", ["general"])
    make_tip("general", "a tip to back up")
    return write_backup(tmp_path / "backup.tlbk", LOCK)


def unsigned_archive(
    path,
    manifest_changes: dict,
    with_signature: bytes | None = None,
    extra_members: dict | None = None,
    dump: bytes = b"[]",
):
    """An archive as an older version, or someone without this instance's key, writes one."""
    files = {"database.json": {"sha256": __import__("hashlib").sha256(dump).hexdigest(), "size": len(dump)}}
    manifest = {
        "format": backup.FORMAT,
        "version": backup.UNSIGNED_VERSION,
        "tipline": "0",
        "with_secrets": False,
        "migrations": {},
        "files": files,
    } | manifest_changes
    with backup._EncryptingFile(path, LOCK) as sink, tarfile.open(fileobj=sink, mode="w|") as archive:
        for name, data in (extra_members or {}).items():  # what someone who altered the archive put in front
            backup._add_stream(archive, None, name, data)
        backup._add_stream(archive, None, "database.json", dump)
        encoded = json.dumps(manifest).encode()
        backup._add_stream(archive, None, "manifest.json", encoded)
        if with_signature is not None:
            backup._add_stream(archive, None, "manifest.sig", with_signature)
    return path


def test_a_backup_needs_no_temporary_directory_the_dump_goes_into_the_archive(tmp_path, demo_channels, monkeypatch):
    make_staff("ana", ["general"])
    make_tip("general", "a tip to back up")
    not_a_directory = tmp_path / "not-a-directory"
    not_a_directory.write_bytes(b"")
    monkeypatch.setattr(tempfile, "tempdir", str(not_a_directory))

    report = write_backup(tmp_path / "backup.tlbk", LOCK)

    names = [name for name, _reader in backup.members(report.path, LOCK)]
    assert names[0] == "database/000001.json" and "database.json" not in names


def test_a_large_dump_goes_in_as_several_parts_that_join_again(tmp_path, demo_channels, monkeypatch):
    make_staff("ana", ["general"])
    monkeypatch.setattr(backup, "DATABASE_PART_BYTES", 1000)

    report = write_backup(tmp_path / "backup.tlbk", LOCK)

    parts = [reader.read() for name, reader in backup.members(report.path, LOCK) if name.startswith("database/")]
    assert len(parts) > 2 and all(len(part) <= 1000 for part in parts)
    assert any(row["model"] == "accounts.user" for row in json.loads(b"".join(parts)))


def test_an_archive_of_this_instance_is_accepted(archive):
    with pytest.raises(BackupError, match="holds data already"):  # past the signature and every checksum
        restore_backup(archive.path, LOCK)


def test_an_archive_signed_by_another_instance_is_refused(archive, settings):
    settings.SECRET_KEY = OTHER_SECRET

    with pytest.raises(BackupError, match="not signed by this instance") as refused:
        restore_backup(archive.path, LOCK)

    assert "\n" not in str(refused.value)


def test_another_instances_archive_is_accepted_when_the_operator_names_its_signer(archive, settings):
    settings.SECRET_KEY = OTHER_SECRET

    with pytest.raises(BackupError, match="holds data already"):
        restore_backup(archive.path, LOCK, signer=archive.signer)


def test_an_archive_without_a_signature_is_refused(tmp_path, db):
    path = unsigned_archive(tmp_path / "unsigned.tlbk", {"version": backup.FORMAT_VERSION})

    with pytest.raises(BackupError, match="carries no signature"):
        restore_backup(path, LOCK)


def test_a_signature_by_someone_else_over_a_manifest_is_refused(tmp_path, db):
    forged = backup.backups.sign_manifest(b"k" * 32, b"anything")
    path = unsigned_archive(tmp_path / "forged.tlbk", {"version": backup.FORMAT_VERSION}, with_signature=forged)

    with pytest.raises(BackupError, match="not signed by this instance"):
        restore_backup(path, LOCK)


def test_an_archive_of_the_older_unsigned_format_is_restored_only_when_the_operator_says_so(tmp_path, db):
    path = unsigned_archive(tmp_path / "older.tlbk", {})

    with pytest.raises(BackupError, match="--accept-unsigned"):
        restore_backup(path, LOCK)
    with pytest.raises(BackupError, match="another database schema"):  # past the signature check
        restore_backup(path, LOCK, accept_unsigned=True)


def serve_in_turn(fifo, archives: list, stop: threading.Event) -> None:
    """What a backup host, a FUSE or an S3 mount someone else controls can do: give the next
    archive to each reader that opens the path, once the reader before has gone."""
    for archive in archives:
        while still_read(fifo) and not stop.is_set():
            stop.wait(0.01)
        while not stop.is_set():
            try:
                descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as error:
                if error.errno != errno.ENXIO:  # ENXIO: nobody has it open for reading yet
                    raise
                stop.wait(0.01)
        else:
            return
        os.set_blocking(descriptor, True)
        with os.fdopen(descriptor, "wb") as pipe:
            pipe.write(archive.read_bytes())
        # A reader woken from its open() may not hold the descriptor yet (a small archive fits in
        # the pipe's buffer): give it time to, or the next archive would join this one's stream.
        opened_by = time.monotonic() + 2
        while not still_read(fifo) and time.monotonic() < opened_by and not stop.is_set():
            stop.wait(0.01)


def still_read(fifo) -> bool:
    """Whether this process (where the restore runs) still holds the path open: compared by
    inode, not by the link's text, which need not spell the path as the test does."""
    target = os.stat(fifo)
    for name in os.listdir("/proc/self/fd"):
        try:
            held = os.stat(os.path.join("/proc/self/fd", name))
        except OSError:  # closed meanwhile
            continue
        if (held.st_dev, held.st_ino) == (target.st_dev, target.st_ino):
            return True
    return False


def test_a_source_that_answers_differently_when_opened_again_is_read_once(tmp_path, demo_channels, settings):
    from tipline.accounts.models import User

    make_staff("ana", ["general"])
    genuine_users = sorted(User.objects.values_list("username", flat=True))
    genuine = write_backup(tmp_path / "genuine.tlbk", LOCK)
    call_command("flush", interactive=False, verbosity=0)
    make_staff("mallory-forged", [])
    own_secret, settings.SECRET_KEY = settings.SECRET_KEY, OTHER_SECRET
    forged = write_backup(tmp_path / "forged.tlbk", LOCK)
    settings.SECRET_KEY = own_secret
    call_command("flush", interactive=False, verbosity=0)
    fifo = tmp_path / "archive.fifo"
    os.mkfifo(fifo)
    stop = threading.Event()
    server = threading.Thread(target=serve_in_turn, args=(fifo, [genuine.path, forged.path], stop))
    server.start()

    try:
        restore_backup(fifo, LOCK, signer=genuine.signer)
    finally:
        stop.set()
        server.join()

    assert sorted(User.objects.values_list("username", flat=True)) == genuine_users and "ana" in genuine_users


def test_a_file_twice_in_the_archive_is_refused_and_nothing_is_restored(tmp_path, db):
    from tipline.accounts.models import User

    dump = json.dumps([{"model": "accounts.user", "fields": {"username": "mallory-forged", "password": "!"}}]).encode()
    path = unsigned_archive(tmp_path / "twice.tlbk", {}, extra_members={"database.json": dump})

    with pytest.raises(BackupError, match="altered"):
        restore_backup(path, LOCK, accept_unsigned=True)

    assert not User.objects.exists()


def test_an_archive_that_says_it_holds_the_secret_key_but_does_not_is_refused_before_anything_is_restored(tmp_path, db):
    from tipline.accounts.models import User

    dump = json.dumps(
        [{"model": "accounts.user", "fields": {"username": "restored-without-key", "password": "!"}}]
    ).encode()
    claims = {"with_secrets": True, "migrations": backup._migration_state()}
    path = unsigned_archive(tmp_path / "no-key.tlbk", claims, dump=dump)

    with pytest.raises(BackupError, match="incomplete or was altered"):
        restore_backup(path, LOCK, accept_unsigned=True)

    assert not User.objects.filter(username="restored-without-key").exists()
