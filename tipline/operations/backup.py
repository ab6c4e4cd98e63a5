"""Backups: one tar archive holding a consistent dump of the database, every blob the dump
refers to, the TIPLINE_* settings and a manifest of SHA-256 checksums; and restoring one
into an empty instance. The secret key (and other secrets among the settings) goes in
only when asked: without it the archive still restores, but sealed insider issuer keys
cannot be opened (issuance pauses until the next period's key).

Every archive is encrypted as it is written (crypto.backups): to a passphrase, or to a
public key whose private half stays off the server and the backup host. Nothing of it,
the secret key least of all, is written in clear; restoring reads it twice, checking
every checksum before anything is written.
"""

import hashlib
import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _

from tipline import __version__
from tipline.core import blobs
from tipline.core.crypto_policy import kdf_policy
from tipline.crypto import backups, files
from tipline.crypto.errors import DecryptionError, UnsupportedFormatError

READ_BYTES = 1024 * 1024
STREAM_WHERE = backups.WHERE + b"/stream"

FORMAT = "tipline-backup"
FORMAT_VERSION = 1
# Sessions end with a restore; content types and permissions are rebuilt by migrate.
SKIPPED_MODELS = {"sessions.session", "contenttypes.contenttype", "auth.permission"}


class BackupError(Exception):
    """The archive cannot be written or restored; the message says why and what to do."""


@dataclass(frozen=True)
class Lock:
    """What encrypts an archive (a passphrase or a public key) or opens one (the passphrase
    or the private key)."""

    passphrase: bytes | None = None
    public_key: bytes | None = None
    private_key: bytes | None = None


@dataclass(frozen=True)
class BackupReport:
    path: Path
    tips: int
    blobs: int
    with_secrets: bool


def write_backup(destination: Path, lock: Lock, with_secrets: bool = False) -> BackupReport:
    """Dump the database in one read transaction, then add the blobs it refers to; the
    archive is encrypted as it is written."""
    destination = Path(destination)
    if destination.exists():
        raise BackupError(_("%(file)s exists already; choose a new file name.") % {"file": destination})
    checksums: dict[str, dict] = {}
    partial = destination.with_name(destination.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="tipline-backup-") as scratch:
        dump = Path(scratch) / "database.json"
        blob_names, tips = _dump_database(dump)
        with _EncryptingFile(partial, lock) as sink, tarfile.open(fileobj=sink, mode="w|") as archive:
            _add_file(archive, checksums, "database.json", dump)
            for name in blob_names:
                _add_stream(archive, checksums, f"blobs/{name}", b"".join(blobs.read_chunks(name)))
            _add_stream(archive, checksums, "settings.json", json.dumps(_settings(with_secrets), indent=1).encode())
            if with_secrets:
                _add_stream(archive, checksums, "secret_key", Path(settings.SECRET_KEY_FILE).read_bytes())
            manifest = {
                "format": FORMAT, "version": FORMAT_VERSION, "tipline": __version__,
                "created": datetime.now(UTC).isoformat(timespec="seconds"), "database": connection.vendor,
                "migrations": _migration_state(), "with_secrets": with_secrets, "files": checksums,
            }
            _add_stream(archive, {}, "manifest.json", json.dumps(manifest, indent=1).encode())
    os.chmod(partial, 0o600)
    os.replace(partial, destination)
    return BackupReport(destination, tips, len(blob_names), with_secrets)


def _dump_database(path: Path) -> tuple[list[str], int]:
    from tipline.core.models import Attachment, Tip

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # one snapshot for every table
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with path.open("w") as output:
            call_command(
                "dumpdata", natural_foreign=True, exclude=sorted(SKIPPED_MODELS), stdout=output, verbosity=0,
            )
        return list(Attachment.objects.values_list("blob_name", flat=True)), Tip.objects.count()


def _settings(with_secrets: bool) -> dict[str, str]:
    """The settings this instance was given (by the environment or the configuration file;
    defaults are left out), as TIPLINE_* names."""
    from tipline.config import PREFIX, SECRET_SETTINGS, SOURCES, without_password

    saved = {}
    for name, (value, source) in sorted(SOURCES.items()):
        if source == "default" or (name in SECRET_SETTINGS and not with_secrets):
            continue
        text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        saved[PREFIX + name] = text if with_secrets else without_password(text)
    return saved


def _migration_state() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


def _add_file(archive: tarfile.TarFile, checksums: dict, name: str, path: Path) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
    checksums[name] = {"sha256": digest.hexdigest(), "size": path.stat().st_size}
    archive.add(path, arcname=name)


def _add_stream(archive: tarfile.TarFile, checksums: dict, name: str, data: bytes) -> None:
    if checksums is not None:
        checksums[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, 0
    archive.addfile(info, io.BytesIO(data))


def restore_backup(source: Path, lock: Lock) -> BackupReport:
    """Into an empty, migrated instance of the same Tipline version: check every checksum
    first (a first reading of the whole archive), then load the database and put the blobs
    back (a second)."""
    source = Path(source)
    manifest = _verified_manifest(source, lock)
    _refuse_unless_empty_and_matching(manifest)
    secret, restored_blobs = None, 0
    with tempfile.TemporaryDirectory(prefix="tipline-restore-") as scratch:
        dump = Path(scratch) / "database.json"
        for name, reader in members(source, lock):
            if name == "database.json":
                with dump.open("wb") as output:
                    _copy(reader, output.write)
            elif name.startswith("blobs/"):
                with blobs.open_for_writing(name.removeprefix("blobs/")) as blob:
                    _copy(reader, blob.write)
                restored_blobs += 1
            elif name == "secret_key":
                secret = reader.read()
        call_command("loaddata", str(dump), verbosity=0)
    if manifest["with_secrets"]:
        _install_secret_key(secret)
    else:
        _trust_the_archive()
    from tipline.core.models import Tip

    return BackupReport(source, Tip.objects.count(), restored_blobs, manifest["with_secrets"])


def _verified_manifest(source: Path, lock: Lock) -> dict:
    digests, manifest = {}, None
    for name, reader in members(source, lock):
        if name == "manifest.json":
            manifest = reader.read()
            continue
        digest = hashlib.sha256()
        _copy(reader, digest.update)
        digests[name] = digest.hexdigest()
    try:
        manifest = json.loads(manifest)
    except (TypeError, json.JSONDecodeError):
        raise BackupError(_("This archive has no readable manifest.json: it is not a Tipline backup.")) from None
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise BackupError(_("This archive is not a Tipline backup of a format this version reads."))
    if set(digests) != set(manifest["files"]):
        raise BackupError(_("The archive's files do not match its manifest: it is incomplete or was altered."))
    for name, expected in manifest["files"].items():
        if digests[name] != expected["sha256"]:
            raise BackupError(
                _("%(file)s does not match its checksum: the archive is damaged or was altered. Nothing was restored.") % {"file": name}
            )
    return manifest


def members(source: Path, lock: Lock):
    """(name, reader) of each file in the archive, decrypted as it is read."""
    try:
        with source.open("rb") as encrypted:
            archive_key = backups.open_header(encrypted.read, lock.passphrase, lock.private_key)
            pieces = iter(lambda: encrypted.read(READ_BYTES), b"")
            plain = io.BufferedReader(_DecryptingReader(files.decrypt_chunks(archive_key, pieces, STREAM_WHERE)), READ_BYTES)
            with tarfile.open(fileobj=plain, mode="r|") as archive:
                for member in archive:
                    if member.isfile():
                        yield member.name, archive.extractfile(member)
    except UnsupportedFormatError as error:
        raise BackupError(_("%(file)s cannot be read as a Tipline backup: %(error)s") % {"file": source, "error": error}) from None
    except DecryptionError as error:
        raise BackupError(_("%(file)s cannot be opened: %(error)s Nothing was restored.") % {"file": source, "error": error}) from None
    except (OSError, tarfile.TarError) as error:
        raise BackupError(_("%(file)s cannot be read as a Tipline backup (%(error)s).") % {"file": source, "error": error}) from None


def _copy(reader, write) -> None:
    while piece := reader.read(READ_BYTES):
        write(piece)


class _EncryptingFile:
    """Where tarfile writes: the archive's header, then its bytes encrypted as they come."""

    def __init__(self, path: Path, lock: Lock):
        archive_key = backups.new_archive_key()
        if lock.passphrase is not None:
            header = backups.header_for_passphrase(archive_key, lock.passphrase, kdf_policy().password)
        else:
            header = backups.header_for_public_key(archive_key, lock.public_key)
        self._output = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
        self._output.write(header)
        self._encryptor = files.FileEncryptor(archive_key, STREAM_WHERE)

    def write(self, data: bytes) -> int:
        self._output.write(self._encryptor.update(bytes(data)))
        return len(data)

    def __enter__(self) -> "_EncryptingFile":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            for piece in self._encryptor.finish_pieces():
                self._output.write(piece)
        self._output.close()


class _DecryptingReader(io.RawIOBase):
    def __init__(self, chunks):
        self._chunks, self._pending = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            self._pending = next(self._chunks, None)
            if self._pending is None:
                self._pending = b""
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size], self._pending = self._pending[:size], self._pending[size:]
        return size


def _refuse_unless_empty_and_matching(manifest: dict) -> None:
    from tipline.accounts.models import User
    from tipline.core.models import Channel, Tip

    call_command("migrate", verbosity=0)
    if Tip.objects.exists() or User.objects.exists() or Channel.objects.exists():
        raise BackupError(_("This instance holds data already; restore into a new, empty one (tipline init on a fresh data directory)."))
    if manifest["migrations"] != _migration_state():
        raise BackupError(_(
            "The backup was made by Tipline %(version)s with another database schema; restore it with that version, then upgrade."
        ) % {"version": manifest["tipline"]})


def _install_secret_key(secret: bytes) -> None:
    path = Path(settings.SECRET_KEY_FILE)
    temporary = path.with_name(path.name + ".restored")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as output:
        output.write(secret)
    os.replace(temporary, path)


def _trust_the_archive() -> None:
    """Restored without the secret key file the data was made under: what was sealed or keyed
    under it cannot be checked. The operator restoring the archive vouches for it: issuer keys
    that cannot be opened are forgotten, recipients' public keys are vouched for and the audit
    chain linked again under this instance's key, and the log says so. (Route secrets stay
    unopenable: such routes fail visibly until they are added again.)"""
    from tipline.accounts.public_keys import vouch_all_as_they_are
    from tipline.audit.services import Action, record, relink_as_it_is
    from tipline.insider.models import IssuerKey

    IssuerKey.objects.update(sealed_private_key=None)
    vouched = vouch_all_as_they_are()
    relinked = relink_as_it_is()
    record("command line", Action.RESTORED_WITHOUT_SECRET_KEY, public_keys=vouched, audit_entries=relinked)
