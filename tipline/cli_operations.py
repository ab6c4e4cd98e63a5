"""The `tipline` commands that look after a running instance beyond one machine's basics:
Prometheus metrics, verified-insider organisations, backups and restores. Each handler
runs after Django is set up (see tipline.cli.main)."""

import sys

from tipline.cli_text import _


def run_metrics(arguments) -> int:
    import signal

    from tipline.core.metrics import registry

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


def run_backup(arguments) -> int:
    from tipline.core.backup import BackupError, write_backup

    try:
        report = write_backup(arguments.destination, with_secrets=arguments.with_secrets)
    except BackupError as error:
        print(f"tipline backup: {error}", file=sys.stderr)
        return 1
    if report.with_secrets:
        message = _("tipline backup: %(path)s: %(tips)d tips, %(files)d files, with the secret key.")
    else:
        message = _("tipline backup: %(path)s: %(tips)d tips, %(files)d files, without the secret key (keep it safe separately).")
    print(message % {"path": report.path, "tips": report.tips, "files": report.blobs})
    return 0


def run_restore(arguments) -> int:
    from tipline.core.backup import BackupError, restore_backup

    try:
        report = restore_backup(arguments.source)
    except BackupError as error:
        print(f"tipline restore: {error}", file=sys.stderr)
        return 1
    message = _("tipline restore: %(tips)d tips and %(files)d files restored from %(path)s.")
    print(message % {"tips": report.tips, "files": report.blobs, "path": report.path})
    if not report.with_secrets:
        print(_("The backup held no secret key: insider token issuance pauses until the next period's key."))
    return 0
