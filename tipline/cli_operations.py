"""The `tipline` commands that look after a running instance beyond one machine's basics:
Prometheus metrics, verified-insider organisations, backups and restores, the recovery key. Each handler
runs after Django is set up (see tipline.cli.main)."""

import os
import sys
from pathlib import Path

from tipline.cli_text import _, gettext_noop


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

    from tipline.core.public_keys import revouch_all
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
            "Open the archive with its private key or passphrase, check its signature and every checksum, then load the "
            "database and blobs into this instance, which must be empty (run tipline init on a fresh data directory first) "
            "and of the same version. Only an archive signed by this instance's secret key file, or by the signer given "
            "with --signed-by, is restored."
        ),
    )
    restore.add_argument("source")
    unlock = restore.add_mutually_exclusive_group(required=True)
    unlock.add_argument("--key", metavar="PRIVATE_KEY_FILE", help=_("the private key the backup was encrypted to"))
    unlock.add_argument("--passphrase-file", metavar="FILE", help=_("the file holding the backup's passphrase"))
    restore.add_argument(
        "--signed-by", metavar="SIGNER", help=_("the signer line tipline backup printed where the archive was made, or a file holding it"),
    )
    restore.add_argument(
        "--accept-unsigned", action="store_true", help=_("restore an archive of the older, unsigned format that you know is yours"),
    )
    restore.set_defaults(handler=run_restore)


def add_recovery_key_parser(commands) -> None:
    recovery = commands.add_parser(
        "recovery-key", help=_("the organisation recovery key, so that no tip depends on one person's key"),
        description=_(
            "new FILE (on an admin's own computer, no instance needed): write a new private key to FILE (mode 600; "
            "it must not exist) and its public key to FILE.pub. install PUBLIC_FILE (on the server): every new tip of "
            "an ordinary channel is also sealed to it; a second install makes a new generation current. show: its "
            "fingerprint and generations. tipline-reader recover uses the private key to grant tips again "
            "(docs/operations.md)."
        ),
    )
    actions = recovery.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = actions.add_parser("new", help=_("make a key pair here (run it on your own computer, not on the server)"))
    new.add_argument("private_key_file", metavar="FILE")
    new.set_defaults(without_an_instance=True)
    install = actions.add_parser("install", help=_("seal every new ordinary tip to this public key as well"))
    install.add_argument("public_key_file", metavar="PUBLIC_FILE")
    actions.add_parser("show", help=_("the installed key's fingerprint, generations and how many tips each holds"))
    recovery.set_defaults(handler=run_recovery_key)


RECOVERY_KEY_HOW_TO = gettext_noop(
    "On your own computer (not this server): tipline recovery-key new recovery.key; keep recovery.key offline like "
    "the backup key, and bring recovery.key.pub here: tipline recovery-key install recovery.key.pub."
)


def run_recovery_key(arguments) -> int:
    if arguments.action == "new":
        return _new_recovery_key(Path(arguments.private_key_file))
    if arguments.action == "install":
        return install_recovery_key("command line", arguments.public_key_file)
    from tipline.core import recovery

    summary = recovery.summary()
    if not summary.generations:
        print(_("No recovery key is installed: a tip whose readers all lose their keys is lost. %(how)s")
              % {"how": _(RECOVERY_KEY_HOW_TO)})
        return 1
    for generation in summary.generations:
        print(_("Generation %(generation)d, %(state)s, fingerprint %(fingerprint)s: %(tips)d tips") % {
            "generation": generation.key.generation, "state": _state_of(generation, summary.current),
            "fingerprint": generation.key.fingerprint, "tips": generation.tips,
        })
    print(_("Tips of ordinary channels sealed to no recovery key (from before it was installed): %(count)d")
          % {"count": summary.ordinary_tips_without})
    return 0


def _state_of(generation, current) -> str:
    if generation.key == current:
        return _("current")
    if not generation.vouched:
        return _("FAILS ITS CHECK (changed outside Tipline): never sealed to")
    if generation.key.retired_at:
        return _("retired")
    return _("REFUSED: made current again behind the site's back")


def install_recovery_key(actor: str, path: str) -> int:
    from tipline.core import recovery
    from tipline.crypto.recovery_keys import read_public_key

    try:
        key = recovery.install(actor, read_public_key(Path(path).read_text()))
    except (OSError, ValueError, UnicodeDecodeError):
        print(_("tipline recovery-key: %(file)s is not a public key file made by tipline recovery-key new.")
              % {"file": path}, file=sys.stderr)
        return 1
    except recovery.RecoveryRefused as refusal:
        print(f"tipline recovery-key: {refusal}", file=sys.stderr)
        return 1
    print(_("Recovery key generation %(generation)d installed, fingerprint %(fingerprint)s: every new tip of an "
            "ordinary channel is also sealed to it. Compare the fingerprint with tipline recovery-key new's.")
          % {"generation": key.generation, "fingerprint": key.fingerprint})
    if key.generation > 1:
        print(_("Tips of the older generation stay sealed to it until you run, on your own computer: "
                "tipline-reader recover --server URL --key OLD_PRIVATE_FILE --reseal-to %(file)s") % {"file": path})
    return 0


def _new_recovery_key(private_path: Path) -> int:
    from tipline.crypto.recovery_keys import fingerprint, new_key_pair, read_public_key

    public, private = new_key_pair()
    public_path = private_path.with_name(private_path.name + ".pub")
    if not _write_new_private_file(private_path, private, "recovery-key new"):
        return 1
    public_path.write_text(public + "\n")
    print(_("Private key: %(private)s. Keep it offline, like the backup key: whoever holds it can read every tip of "
            "an ordinary channel. It never goes to the server.") % {"private": private_path})
    print(_("Public key: %(public)s, fingerprint %(fingerprint)s. On the server: tipline recovery-key install "
            "%(public)s") % {"public": public_path, "fingerprint": fingerprint(read_public_key(public))})
    return 0


def _write_new_private_file(path: Path, line: str, command: str) -> bool:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(_("tipline %(command)s: %(file)s exists already; choose a new file name.")
              % {"command": command, "file": path}, file=sys.stderr)
        return False
    with os.fdopen(descriptor, "w") as output:
        output.write(line + "\n")
    return True


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
    print(_("Signed by %(signer)s (a restore elsewhere needs it: tipline restore --signed-by).") % {"signer": report.signer})
    return 0


def run_backup_key(arguments) -> int:
    from tipline.crypto.backups import new_key_pair

    private_path = Path(arguments.private_key_file)
    public_path = private_path.with_name(private_path.name + ".pub")
    public, private = new_key_pair()
    if not _write_new_private_file(private_path, private, "backup-key"):
        return 1
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
        report = restore_backup(
            arguments.source, lock, signer=_signer_from(arguments.signed_by), accept_unsigned=arguments.accept_unsigned,
        )
    except BackupError as error:
        print(f"tipline restore: {error}", file=sys.stderr)
        return 1
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
