"""Backups: one tar archive holding a consistent dump of the database, every blob the dump
refers to, the TIPLINE_* settings and a manifest of SHA-256 checksums; and restoring one
into an empty instance. The secret key (and other secrets among the settings) goes in
only when asked: without it the archive still restores, but sealed insider issuer keys
cannot be opened (issuance pauses until the next period's key).

Every archive is encrypted as it is written (crypto.backups): to a passphrase, or to a
public key whose private half stays off the server and the backup host. Nothing of it,
the secret key least of all, is written in clear: the database dump goes straight into the
archive in parts, never into a temporary file. The manifest is signed under a key derived
from the secret key file, and a restore accepts only archives signed by this instance or by
the signer the operator names. A restore reads the archive once (a source that answers
differently when opened again, a pipe or a mount someone else serves, gains nothing): the
blobs, already ciphertext, wait in a private directory of the data directory and the dump in
memory until the signature and every checksum are checked; only then is anything restored.
"""

import hashlib
import io
import json
import os
import sys
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
from tipline.base.crypto_policy import kdf_policy
from tipline.base.site_keys import site_key
from tipline.config import remember_secret_key
from tipline.core import blobs
from tipline.crypto import backups, files
from tipline.crypto.errors import DecryptionError, UnsupportedFormatError

READ_BYTES = 1024 * 1024
STREAM_WHERE = backups.WHERE + b"/stream"

FORMAT = "tipline-backup"
FORMAT_VERSION = 2
# Archives before issue 31: not signed, the database as one database.json. Restored only
# when the operator says so (tipline restore --accept-unsigned).
UNSIGNED_VERSION = 1
# The dump enters the archive in parts of this size, so only one part is ever in memory.
DATABASE_PART_BYTES = 4 * 1024 * 1024
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
    signer: str = ""


def write_backup(destination: Path, lock: Lock, with_secrets: bool = False) -> BackupReport:
    """Dump the database in one read transaction, then add the blobs it refers to; the
    archive is encrypted as it is written."""
    destination = Path(destination)
    if destination.exists():
        raise BackupError(_("%(file)s exists already; choose a new file name.") % {"file": destination})
    checksums: dict[str, dict] = {}
    partial = destination.with_name(destination.name + ".partial")
    signer = own_signer()
    # A stream ("w|") only writes; typeshed wants a file object it could also seek in.
    with _EncryptingFile(partial, lock) as sink, tarfile.open(fileobj=sink, mode="w|") as archive:  # type: ignore[call-overload]
        blob_names, tips = _dump_database(_DatabaseParts(archive, checksums))
        for name in blob_names:
            _add_stream(archive, checksums, f"blobs/{name}", b"".join(blobs.read_chunks(name)))
        _add_stream(archive, checksums, "settings.json", json.dumps(_settings(with_secrets), indent=1).encode())
        if with_secrets:
            _add_stream(archive, checksums, "secret_key", Path(settings.SECRET_KEY_FILE).read_bytes())
        manifest = json.dumps(
            {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "tipline": __version__,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "database": connection.vendor,
                "migrations": _migration_state(),
                "with_secrets": with_secrets,
                "files": checksums,
                "signer": signer,
            },
            indent=1,
        ).encode()
        _add_stream(archive, None, "manifest.json", manifest)
        _add_stream(archive, None, "manifest.sig", backups.sign_manifest(_signing_seed(), manifest))
    os.chmod(partial, 0o600)
    os.replace(partial, destination)
    return BackupReport(destination, tips, len(blob_names), with_secrets, signer)


def own_signer() -> str:
    """This instance's signer line (from its secret key file): what its archives are signed by."""
    return backups.signer_line(_signing_seed())


def _signing_seed() -> bytes:
    return site_key(b"tipline-backsign")


def _dump_database(parts: "_DatabaseParts") -> tuple[list[str], int]:
    from tipline.core.models import Attachment, Tip

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # one snapshot for every table
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        call_command("dumpdata", natural_foreign=True, exclude=sorted(SKIPPED_MODELS), stdout=parts, verbosity=0)
        parts.finish()
        return list(Attachment.objects.values_list("blob_name", flat=True)), Tip.objects.count()


class _DatabaseParts(io.TextIOBase):
    """Where dumpdata writes: into the archive as it comes, `database/000001.json` and on,
    each at most DATABASE_PART_BYTES; a restore joins them in order."""

    def __init__(self, archive: tarfile.TarFile, checksums: dict):
        super().__init__()
        self._archive, self._checksums, self._pending, self._count = archive, checksums, bytearray(), 0

    def write(self, text: str) -> int:
        self._pending += text.encode()
        while len(self._pending) >= DATABASE_PART_BYTES:
            self._add(bytes(self._pending[:DATABASE_PART_BYTES]))
            del self._pending[:DATABASE_PART_BYTES]
        return len(text)

    def finish(self) -> None:
        if self._pending or not self._count:
            self._add(bytes(self._pending))
            self._pending.clear()

    def _add(self, data: bytes) -> None:
        self._count += 1
        _add_stream(self._archive, self._checksums, f"database/{self._count:06d}.json", data)


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


def _add_stream(archive: tarfile.TarFile, checksums: dict | None, name: str, data: bytes) -> None:
    if checksums is not None:
        checksums[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, 0
    archive.addfile(info, io.BytesIO(data))


def restore_backup(source: Path, lock: Lock, signer: str | None = None, accept_unsigned: bool = False) -> BackupReport:
    """Into an empty, migrated instance of the same Tipline version: read the archive once,
    check the signature (by this instance, or by `signer`) and every checksum, then load the
    database and put the blobs back."""
    source = Path(source)
    with tempfile.TemporaryDirectory(prefix="restoring-", dir=settings.DATA_DIR) as waiting_room:
        archive = _read_once(source, lock, Path(waiting_room))
        manifest = _verified_manifest(archive, signer or own_signer(), accept_unsigned)
        _refuse_unless_empty_and_matching(manifest)
        with transaction.atomic():
            _load_database(b"".join(archive.database))
            if not manifest["with_secrets"]:
                _trust_the_archive()
            restored_blobs = _put_blobs_back(archive.blobs)
    if manifest["with_secrets"]:
        assert archive.secret_key is not None  # _verified_manifest refused an archive without it
        _install_secret_key(archive.secret_key)
    from tipline.core.models import Tip

    return BackupReport(
        source, Tip.objects.count(), len(restored_blobs), manifest["with_secrets"], manifest.get("signer", "")
    )


@dataclass
class _ReadArchive:
    """An archive as one reading found it: the checksum of each file, the manifest and its
    signature, the dump's parts and the secret key in memory, each blob in the waiting room."""

    digests: dict[str, str]
    unsummed: dict[str, bytes]
    database: list[bytes]
    blobs: dict[str, Path]
    secret_key: bytes | None = None


def _read_once(source: Path, lock: Lock, waiting_room: Path) -> _ReadArchive:
    read = _ReadArchive({}, {}, [], {})
    for name, reader in members(source, lock):
        if name in read.digests or name in read.unsummed:  # a second copy would be loaded unchecked
            raise BackupError(_("The archive's files do not match its manifest: it is incomplete or was altered."))
        if name in ("manifest.json", "manifest.sig"):
            read.unsummed[name] = reader.read()
            continue
        digest = hashlib.sha256()
        if name.startswith("blobs/"):
            read.blobs[name.removeprefix("blobs/")] = waiting = waiting_room / f"{len(read.blobs):08d}"
            with waiting.open("xb") as output:
                _copy(reader, _summing_into(digest, output))
        else:
            content = reader.read()
            digest.update(content)
            if name == "database.json" or name.startswith("database/"):
                read.database.append(content)
            elif name == "secret_key":
                read.secret_key = content
        read.digests[name] = digest.hexdigest()
    return read


def _put_blobs_back(waiting: dict[str, Path]) -> list[str]:
    """Each checked blob into the blob storage; those already put back are taken out again
    when one fails, so that a failed restore leaves the storage as it was."""
    written = []
    try:
        for name, path in waiting.items():
            written.append(name)
            with path.open("rb") as stored, blobs.open_for_writing(name) as blob:
                _copy(stored, blob.write)
    except BaseException:
        for name in written:
            blobs.delete(name)
        raise
    return written


def _load_database(dump: bytes) -> None:
    """loaddata reads the dump from its standard input: it is never written to disk in clear."""
    given = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(dump), encoding="utf-8")
    try:
        call_command("loaddata", "-", format="json", verbosity=0)
    finally:
        sys.stdin = given


def _verified_manifest(archive: _ReadArchive, signer: str, accept_unsigned: bool) -> dict:
    digests, unsummed = archive.digests, archive.unsummed
    try:
        manifest = json.loads(unsummed["manifest.json"])
    except (KeyError, json.JSONDecodeError):
        raise BackupError(_("This archive has no readable manifest.json: it is not a Tipline backup.")) from None
    _check_signature(manifest, unsummed["manifest.json"], unsummed.get("manifest.sig"), signer, accept_unsigned)
    if set(digests) != set(manifest["files"]) or (manifest.get("with_secrets") and "secret_key" not in digests):
        raise BackupError(_("The archive's files do not match its manifest: it is incomplete or was altered."))
    for name, expected in manifest["files"].items():
        if digests[name] != expected["sha256"]:
            raise BackupError(
                _("%(file)s does not match its checksum: the archive is damaged or was altered. Nothing was restored.")
                % {"file": name}
            )
    return manifest


def _check_signature(
    manifest: dict, signed: bytes, signature: bytes | None, signer: str, accept_unsigned: bool
) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(_("This archive is not a Tipline backup of a format this version reads."))
    if manifest.get("version") == UNSIGNED_VERSION and signature is None:
        if accept_unsigned:
            return
        raise BackupError(
            _(
                "This archive is of the older, unsigned format: nothing shows which instance made it. If you know it "
                "is yours, restore it with --accept-unsigned."
            )
        )
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(_("This archive is not a Tipline backup of a format this version reads."))
    if signature is None:
        raise BackupError(
            _("This archive carries no signature: it was not made by tipline backup. Nothing was restored.")
        )
    try:
        backups.verify_manifest(signer, signed, signature)
    except DecryptionError:
        raise BackupError(
            _(
                "This archive was not signed by this instance nor by the signer given: nothing was restored "
                "(give --signed-by with the signer line tipline backup printed where it was made)."
            )
        ) from None


def members(source: Path, lock: Lock):
    """(name, reader) of each file in the archive, decrypted as it is read."""
    try:
        with source.open("rb") as encrypted:
            archive_key = backups.open_header(encrypted.read, lock.passphrase, lock.private_key)
            pieces = iter(lambda: encrypted.read(READ_BYTES), b"")
            plain = io.BufferedReader(
                _DecryptingReader(files.decrypt_chunks(archive_key, pieces, STREAM_WHERE)), READ_BYTES
            )
            with tarfile.open(fileobj=plain, mode="r|") as archive:
                for member in archive:
                    if member.isfile():
                        yield member.name, archive.extractfile(member)
    except UnsupportedFormatError as error:
        raise BackupError(
            _("%(file)s cannot be read as a Tipline backup: %(error)s") % {"file": source, "error": error}
        ) from None
    except DecryptionError as error:
        raise BackupError(
            _("%(file)s cannot be opened: %(error)s Nothing was restored.") % {"file": source, "error": error}
        ) from None
    except (OSError, tarfile.TarError) as error:
        raise BackupError(
            _("%(file)s cannot be read as a Tipline backup (%(error)s).") % {"file": source, "error": error}
        ) from None


def _copy(reader, write) -> None:
    while piece := reader.read(READ_BYTES):
        write(piece)


def _summing_into(digest, output):
    """A writer for _copy that adds each piece to the digest and to the file."""

    def write(piece: bytes) -> None:
        digest.update(piece)
        output.write(piece)

    return write


class _EncryptingFile:
    """Where tarfile writes: the archive's header, then its bytes encrypted as they come."""

    def __init__(self, path: Path, lock: Lock):
        archive_key = backups.new_archive_key()
        if lock.passphrase is not None:
            header = backups.header_for_passphrase(archive_key, lock.passphrase, kdf_policy().password)
        else:
            assert lock.public_key is not None  # a Lock holds a passphrase or a public key
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
        raise BackupError(
            _(
                "This instance holds data already; restore into a new, empty one (tipline init on a fresh data "
                "directory)."
            )
        )
    if manifest["migrations"] != _migration_state():
        raise BackupError(
            _(
                "The backup was made by Tipline %(version)s with another database schema; restore it with that "
                "version, then upgrade."
            )
            % {"version": manifest["tipline"]}
        )


def _install_secret_key(secret: bytes) -> None:
    path = Path(settings.SECRET_KEY_FILE)
    temporary = path.with_name(path.name + ".restored")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as output:
        output.write(secret)
    os.replace(temporary, path)
    remember_secret_key(Path(settings.DATA_DIR), secret.decode().strip())


def _trust_the_archive() -> None:
    """Restored without the secret key file the data was made under: what was sealed or keyed
    under it cannot be checked. The operator restoring the archive vouches for it: issuer keys
    that cannot be opened are forgotten, recipients' public keys are vouched for and the audit
    chain linked again under this instance's key, and the log says so. (Route secrets stay
    unopenable: such routes fail visibly until they are added again.)"""
    from tipline.audit.services import Action, record, relink_as_it_is
    from tipline.core.public_keys import vouch_all_as_they_are
    from tipline.insider.models import IssuerKey

    IssuerKey.objects.update(sealed_private_key=None)
    vouched = vouch_all_as_they_are()
    relinked = relink_as_it_is()
    record("command line", Action.RESTORED_WITHOUT_SECRET_KEY, public_keys=vouched, audit_entries=relinked)
