"""`tipline backup`, `backup-key` and `restore`: one consistent archive, encrypted as it is
written to a public key or a passphrase and signed by the instance (tipline.operations.backup);
the key pair made on an admin's own computer; a restore into a new, empty instance."""

from pathlib import Path

from tipline.cli.text import _, fail, write_new_private_file


def add_parsers(commands) -> None:
    backup = commands.add_parser(
        "backup",
        help=_("write a consistent, encrypted backup archive (database, blobs, settings, checksums)"),
        description=_(
            "Write one archive, encrypted as it is written: a consistent dump of the database, every blob it refers "
            "to, the TIPLINE_* settings and a manifest of SHA-256 checksums. It is encrypted to a public key (tipline "
            "backup-key makes the pair; keep the private key off this server) or to a passphrase. The secret key and "
            "secret settings go in only with --with-secrets. Safe while the tip line runs."
        ),
    )
    backup.add_argument("destination", help=_("the archive to write, e.g. /backups/tipline-2026-11-29.tlbk"))
    lock = backup.add_mutually_exclusive_group(required=True)
    lock.add_argument("--to", metavar="PUBLIC_KEY_FILE", help=_("encrypt to this public key (from tipline backup-key)"))
    lock.add_argument(
        "--passphrase-file", metavar="FILE", help=_("encrypt to the passphrase in this file (16 characters or more)")
    )
    backup.add_argument(
        "--with-secrets", action="store_true", help=_("include the secret key file and secret settings")
    )
    backup.set_defaults(handler=run_backup)

    key = commands.add_parser(
        "backup-key",
        help=_("make the key pair backups are encrypted to"),
        description=_(
            "Write a new private key to PRIVATE_KEY_FILE (mode 600; it must not exist) and its public key to "
            "PRIVATE_KEY_FILE.pub. Give the public key to tipline backup --to; keep the private key offline, away from "
            "this server and the backup host: it is the only way to restore."
        ),
    )
    key.add_argument("private_key_file", metavar="PRIVATE_KEY_FILE")
    key.set_defaults(handler=run_backup_key)

    restore = commands.add_parser(
        "restore",
        help=_("restore a backup archive into a new, empty instance"),
        description=_(
            "Open the archive with its private key or passphrase, check its signature and every checksum, then load "
            "the database and blobs into this instance, which must be empty (run tipline init on a fresh data "
            "directory first) and of the same version. Only an archive signed by this instance's secret key file, or "
            "by the signer given with --signed-by, is restored."
        ),
    )
    restore.add_argument("source")
    unlock = restore.add_mutually_exclusive_group(required=True)
    unlock.add_argument("--key", metavar="PRIVATE_KEY_FILE", help=_("the private key the backup was encrypted to"))
    unlock.add_argument("--passphrase-file", metavar="FILE", help=_("the file holding the backup's passphrase"))
    restore.add_argument(
        "--signed-by",
        metavar="SIGNER",
        help=_("the signer line tipline backup printed where the archive was made, or a file holding it"),
    )
    restore.add_argument(
        "--accept-unsigned",
        action="store_true",
        help=_("restore an archive of the older, unsigned format that you know is yours"),
    )
    restore.set_defaults(handler=run_restore)


MIN_PASSPHRASE_CHARACTERS = 16


def run_backup(arguments) -> int:
    from tipline.crypto.backups import PUBLIC_KEY_PREFIX
    from tipline.operations.backup import BackupError, Lock, write_backup

    try:
        if arguments.to:
            lock = Lock(public_key=_key_from(arguments.to, PUBLIC_KEY_PREFIX))
        else:
            lock = Lock(passphrase=_passphrase_from(arguments.passphrase_file))
        report = write_backup(arguments.destination, lock, with_secrets=arguments.with_secrets)
    except BackupError as error:
        return fail(f"tipline backup: {error}")
    if report.with_secrets:
        message = _("tipline backup: %(path)s: %(tips)d tips, %(files)d files, with the secret key, encrypted.")
    else:
        message = _(
            "tipline backup: %(path)s: %(tips)d tips, %(files)d files, without the secret key (keep it safe "
            "separately), encrypted."
        )
    print(message % {"path": report.path, "tips": report.tips, "files": report.blobs})
    print(
        _("Signed by %(signer)s (a restore elsewhere needs it: tipline restore --signed-by).")
        % {"signer": report.signer}
    )
    return 0


def run_backup_key(arguments) -> int:
    from tipline.crypto.backups import new_key_pair

    private_path = Path(arguments.private_key_file)
    public_path = private_path.with_name(private_path.name + ".pub")
    public, private = new_key_pair()
    if not write_new_private_file(private_path, private, "backup-key"):
        return 1
    public_path.write_text(public + "\n")
    print(_("Private key: %(private)s (keep it offline: it is the only way to restore).") % {"private": private_path})
    print(_("Public key: %(public)s (give it to tipline backup --to).") % {"public": public_path})
    return 0


def run_restore(arguments) -> int:
    from tipline.crypto.backups import PRIVATE_KEY_PREFIX
    from tipline.operations.backup import BackupError, Lock, restore_backup

    try:
        if arguments.key:
            lock = Lock(private_key=_key_from(arguments.key, PRIVATE_KEY_PREFIX))
        else:
            lock = Lock(passphrase=_passphrase_from(arguments.passphrase_file))
        report = restore_backup(
            arguments.source,
            lock,
            signer=_signer_from(arguments.signed_by),
            accept_unsigned=arguments.accept_unsigned,
        )
    except BackupError as error:
        return fail(f"tipline restore: {error}")
    message = _("tipline restore: %(tips)d tips and %(files)d files restored from %(path)s.")
    print(message % {"tips": report.tips, "files": report.blobs, "path": report.path})
    if not report.with_secrets:
        print(_("The backup held no secret key: insider token issuance pauses until the next period's key."))
    return 0


def _signer_from(given: str | None) -> str | None:
    from tipline.crypto.backups import SIGNER_PREFIX
    from tipline.operations.backup import BackupError

    if given is None or given.startswith(SIGNER_PREFIX):
        return given
    try:
        return Path(given).read_text().strip()
    except (OSError, UnicodeDecodeError) as error:
        raise BackupError(_("%(file)s cannot be read: %(error)s") % {"file": given, "error": error}) from None


def _key_from(path: str, prefix: str) -> bytes:
    from tipline.crypto.backups import read_key
    from tipline.operations.backup import BackupError

    try:
        return read_key(Path(path).read_text(), prefix)
    except (OSError, ValueError, UnicodeDecodeError):
        raise BackupError(
            _("%(file)s is not a key file made by tipline backup-key (a line starting with %(prefix)s).")
            % {
                "file": path,
                "prefix": prefix,
            }
        ) from None


def _passphrase_from(path: str) -> bytes:
    from tipline.operations.backup import BackupError

    try:
        passphrase = Path(path).read_text().rstrip("\n")
    except (OSError, UnicodeDecodeError) as error:
        raise BackupError(_("%(file)s cannot be read: %(error)s") % {"file": path, "error": error}) from None
    if len(passphrase) < MIN_PASSPHRASE_CHARACTERS:
        raise BackupError(
            _("The passphrase in %(file)s is shorter than %(count)d characters.")
            % {
                "file": path,
                "count": MIN_PASSPHRASE_CHARACTERS,
            }
        )
    return passphrase.encode()
