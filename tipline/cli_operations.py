"""The `tipline` commands that look after a running instance beyond one machine's basics:
Prometheus metrics, verified-insider organisations, backups and restores. Each handler
runs after Django is set up (see tipline.cli.main)."""

import os
import sys
from pathlib import Path

from tipline.cli_text import _


def run_metrics(arguments) -> int:
    import signal

    from tipline.operations.metrics import registry

    host, _colon, port = arguments.bind.rpartition(":")
    if not host or not port.isdigit():
        print(_("tipline metrics: --bind %(bind)r: use HOST:PORT, e.g. 127.0.0.1:9464.") % {"bind": arguments.bind}, file=sys.stderr)
        return 2
    from prometheus_client import start_http_server

    server, thread = start_http_server(int(port), addr=host, registry=registry())
    print(_("tipline metrics: serving %(address)s") % {"address": f"http://{arguments.bind}/metrics"}, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: server.shutdown())
    signal.signal(signal.SIGINT, lambda *_: server.shutdown())
    thread.join()
    return 0


def run_rekey(arguments) -> int:
    """After the secret key file was replaced: everything sealed or keyed under the old one
    moves to the new one, in one transaction, or nothing does."""
    from pathlib import Path

    from django.db import transaction

    from tipline.accounts.public_keys import revouch_all
    from tipline.alerts.routes import reseal_all as reseal_routes
    from tipline.audit.services import rekey as relink_audit
    from tipline.config import read_secret_key
    from tipline.crypto.errors import DecryptionError
    from tipline.insider.keys import reseal_all as reseal_issuer_keys

    try:
        old_secret = read_secret_key(Path(arguments.old_secret_key_file))
        with transaction.atomic():
            done = {
                "issuer_keys": reseal_issuer_keys(old_secret), "public_keys": revouch_all(old_secret),
                "routes": reseal_routes(old_secret), "audit_entries": relink_audit(old_secret),
            }
    except (OSError, DecryptionError, ValueError) as error:
        print(_("tipline rekey: nothing changed: %(error)s") % {"error": error}, file=sys.stderr)
        return 1
    print(_(
        "tipline rekey: under the new secret key now: %(issuer_keys)d insider issuer keys, %(public_keys)d recipients' "
        "public keys, %(routes)d route secrets, %(audit_entries)d audit entries."
    ) % done)
    return 0


def run_insiders(arguments) -> int:
    from tipline.insider import admin_services
    from tipline.insider.models import Member, Organisation

    if arguments.action == "rotate":
        done = admin_services.rotate(actor="tipline insiders rotate")
        message = _("tipline insiders rotate: %(keys_made)d keys made, %(private_keys_destroyed)d private keys destroyed, "
                    "%(spent_tokens_purged)d spent tokens purged.")
        print(message % done)
        return 0
    if arguments.action == "reseal":
        return run_rekey(arguments)  # the older name: everything sealed under the file moves, not only issuer keys
    if arguments.action == "create":
        organisation = admin_services.create_organisation(
            "tipline insiders create", arguments.slug, arguments.name, arguments.tokens, arguments.epoch_days * 86400
        )
        message = _("Organisation %(slug)r created; its keys are published at %(page)s.")
        print(message % {"slug": organisation.slug, "page": f"/insiders/{organisation.slug}/"})
        return 0
    organisation = Organisation.objects.filter(slug=arguments.slug).first()
    if organisation is None:
        print(_("tipline insiders: no organisation %(slug)r.") % {"slug": arguments.slug}, file=sys.stderr)
        return 1
    if arguments.action == "add-members":
        text = sys.stdin.read() if arguments.file == "-" else open(arguments.file, encoding="utf-8").read()
        codes = admin_services.add_members("tipline insiders add-members", organisation, text)
    else:
        member = Member.objects.filter(organisation=organisation, reference=arguments.reference).first()
        if member is None:
            message = _("tipline insiders: %(slug)s has no member %(reference)r.")
            print(message % {"slug": organisation.slug, "reference": arguments.reference}, file=sys.stderr)
            return 1
        codes = [admin_services.new_code("tipline insiders new-code", member)]
    print(_("Give each member their one-time sign-in code through a safe way; it is shown only now."))
    for code in codes:
        print(f"{code.reference}\t{code.code}")
    return 0


def add_backup_parsers(commands) -> None:
    backup = commands.add_parser(
        "backup", help=_("write a consistent, encrypted backup archive (database, blobs, settings, checksums)"),
        description=_(
            "Write one archive, encrypted as it is written: a consistent dump of the database, every blob it refers to, the "
            "TIPLINE_* settings and a manifest of SHA-256 checksums. It is encrypted to a public key (tipline backup-key "
            "makes the pair; keep the private key off this server) or to a passphrase. The secret key and secret settings "
            "go in only with --with-secrets. Safe while the tip line runs."
        ),
    )
    backup.add_argument("destination", help=_("the archive to write, e.g. /backups/tipline-2026-11-29.tlbk"))
    lock = backup.add_mutually_exclusive_group(required=True)
    lock.add_argument("--to", metavar="PUBLIC_KEY_FILE", help=_("encrypt to this public key (from tipline backup-key)"))
    lock.add_argument("--passphrase-file", metavar="FILE", help=_("encrypt to the passphrase in this file (16 characters or more)"))
    backup.add_argument("--with-secrets", action="store_true", help=_("include the secret key file and secret settings"))
    backup.set_defaults(handler=run_backup)

    key = commands.add_parser(
        "backup-key", help=_("make the key pair backups are encrypted to"),
        description=_(
            "Write a new private key to PRIVATE_KEY_FILE (mode 600; it must not exist) and its public key to "
            "PRIVATE_KEY_FILE.pub. Give the public key to tipline backup --to; keep the private key offline, away from "
            "this server and the backup host: it is the only way to restore."
        ),
    )
    key.add_argument("private_key_file", metavar="PRIVATE_KEY_FILE")
    key.set_defaults(handler=run_backup_key)

    restore = commands.add_parser(
        "restore", help=_("restore a backup archive into a new, empty instance"),
        description=_(
            "Open the archive with its private key or passphrase, check every checksum, then load the database and blobs "
            "into this instance, which must be empty (run tipline init on a fresh data directory first) and of the same version."
        ),
    )
    restore.add_argument("source")
    unlock = restore.add_mutually_exclusive_group(required=True)
    unlock.add_argument("--key", metavar="PRIVATE_KEY_FILE", help=_("the private key the backup was encrypted to"))
    unlock.add_argument("--passphrase-file", metavar="FILE", help=_("the file holding the backup's passphrase"))
    restore.set_defaults(handler=run_restore)


MIN_PASSPHRASE_CHARACTERS = 16


def run_backup(arguments) -> int:
    from tipline.operations.backup import BackupError, Lock, write_backup
    from tipline.crypto.backups import PUBLIC_KEY_PREFIX

    try:
        if arguments.to:
            lock = Lock(public_key=_key_from(arguments.to, PUBLIC_KEY_PREFIX))
        else:
            lock = Lock(passphrase=_passphrase_from(arguments.passphrase_file))
        report = write_backup(arguments.destination, lock, with_secrets=arguments.with_secrets)
    except BackupError as error:
        print(f"tipline backup: {error}", file=sys.stderr)
        return 1
    if report.with_secrets:
        message = _("tipline backup: %(path)s: %(tips)d tips, %(files)d files, with the secret key, encrypted.")
    else:
        message = _("tipline backup: %(path)s: %(tips)d tips, %(files)d files, without the secret key (keep it safe separately), encrypted.")
    print(message % {"path": report.path, "tips": report.tips, "files": report.blobs})
    return 0


def run_backup_key(arguments) -> int:
    from tipline.crypto.backups import new_key_pair

    private_path = Path(arguments.private_key_file)
    public_path = private_path.with_name(private_path.name + ".pub")
    public, private = new_key_pair()
    try:
        descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(_("tipline backup-key: %(file)s exists already; choose a new file name.") % {"file": private_path}, file=sys.stderr)
        return 1
    with os.fdopen(descriptor, "w") as output:
        output.write(private + "\n")
    public_path.write_text(public + "\n")
    print(_("Private key: %(private)s (keep it offline: it is the only way to restore).") % {"private": private_path})
    print(_("Public key: %(public)s (give it to tipline backup --to).") % {"public": public_path})
    return 0


def run_restore(arguments) -> int:
    from tipline.operations.backup import BackupError, Lock, restore_backup
    from tipline.crypto.backups import PRIVATE_KEY_PREFIX

    try:
        if arguments.key:
            lock = Lock(private_key=_key_from(arguments.key, PRIVATE_KEY_PREFIX))
        else:
            lock = Lock(passphrase=_passphrase_from(arguments.passphrase_file))
        report = restore_backup(arguments.source, lock)
    except BackupError as error:
        print(f"tipline restore: {error}", file=sys.stderr)
        return 1
    message = _("tipline restore: %(tips)d tips and %(files)d files restored from %(path)s.")
    print(message % {"tips": report.tips, "files": report.blobs, "path": report.path})
    if not report.with_secrets:
        print(_("The backup held no secret key: insider token issuance pauses until the next period's key."))
    return 0


def _key_from(path: str, prefix: str) -> bytes:
    from tipline.operations.backup import BackupError
    from tipline.crypto.backups import read_key

    try:
        return read_key(Path(path).read_text(), prefix)
    except (OSError, ValueError, UnicodeDecodeError):
        raise BackupError(_("%(file)s is not a key file made by tipline backup-key (a line starting with %(prefix)s).") % {
            "file": path, "prefix": prefix,
        }) from None


def _passphrase_from(path: str) -> bytes:
    from tipline.operations.backup import BackupError

    try:
        passphrase = Path(path).read_text().rstrip("\n")
    except (OSError, UnicodeDecodeError) as error:
        raise BackupError(_("%(file)s cannot be read: %(error)s") % {"file": path, "error": error}) from None
    if len(passphrase) < MIN_PASSPHRASE_CHARACTERS:
        raise BackupError(_("The passphrase in %(file)s is shorter than %(count)d characters.") % {
            "file": path, "count": MIN_PASSPHRASE_CHARACTERS,
        })
    return passphrase.encode()
