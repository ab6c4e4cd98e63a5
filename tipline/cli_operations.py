"""The `tipline` commands that look after a running instance beyond one machine's basics:
Prometheus metrics, verified-insider organisations, backups and restores. Each handler
runs after Django is set up (see tipline.cli.main)."""

import sys


def run_metrics(arguments) -> int:
    import signal

    from tipline.core.metrics import registry

    host, _, port = arguments.bind.rpartition(":")
    if not host or not port.isdigit():
        print(f"tipline metrics: --bind {arguments.bind!r}: use HOST:PORT, e.g. 127.0.0.1:9464.", file=sys.stderr)
        return 2
    from prometheus_client import start_http_server

    server, thread = start_http_server(int(port), addr=host, registry=registry())
    print(f"tipline metrics: serving http://{arguments.bind}/metrics", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: server.shutdown())
    signal.signal(signal.SIGINT, lambda *_: server.shutdown())
    thread.join()
    return 0


def run_insiders(arguments) -> int:
    from tipline.insider import admin_services
    from tipline.insider.models import Member, Organisation

    if arguments.action == "rotate":
        done = admin_services.rotate(actor="tipline insiders rotate")
        print("tipline insiders rotate: " + ", ".join(f"{count} {what.replace('_', ' ')}" for what, count in done.items()) + ".")
        return 0
    if arguments.action == "reseal":
        from pathlib import Path

        from tipline.config import read_secret_key
        from tipline.crypto.errors import DecryptionError
        from tipline.insider.keys import reseal_all

        try:
            count = reseal_all(read_secret_key(Path(arguments.old_secret_key_file)))
        except (OSError, DecryptionError) as error:
            print(f"tipline insiders reseal: nothing changed: {error}", file=sys.stderr)
            return 1
        print(f"tipline insiders reseal: {count} issuer keys sealed under the current secret key.")
        return 0
    if arguments.action == "create":
        organisation = admin_services.create_organisation(
            "tipline insiders create", arguments.slug, arguments.name, arguments.tokens, arguments.epoch_days * 86400
        )
        print(f"Organisation {organisation.slug!r} created; its keys are published at /insiders/{organisation.slug}/.")
        return 0
    organisation = Organisation.objects.filter(slug=arguments.slug).first()
    if organisation is None:
        print(f"tipline insiders: no organisation {arguments.slug!r}.", file=sys.stderr)
        return 1
    if arguments.action == "add-members":
        text = sys.stdin.read() if arguments.file == "-" else open(arguments.file, encoding="utf-8").read()
        codes = admin_services.add_members("tipline insiders add-members", organisation, text)
    else:
        member = Member.objects.filter(organisation=organisation, reference=arguments.reference).first()
        if member is None:
            print(f"tipline insiders: {organisation.slug} has no member {arguments.reference!r}.", file=sys.stderr)
            return 1
        codes = [admin_services.new_code("tipline insiders new-code", member)]
    print("Give each member their one-time sign-in code through a safe way; it is shown only now.")
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
    secrets_note = "with the secret key" if report.with_secrets else "without the secret key (keep it safe separately)"
    print(f"tipline backup: {report.path}: {report.tips} tips, {report.blobs} files, {secrets_note}.")
    return 0


def run_restore(arguments) -> int:
    from tipline.core.backup import BackupError, restore_backup

    try:
        report = restore_backup(arguments.source)
    except BackupError as error:
        print(f"tipline restore: {error}", file=sys.stderr)
        return 1
    print(f"tipline restore: {report.tips} tips and {report.blobs} files restored from {report.path}.")
    if not report.with_secrets:
        print("The backup held no secret key: insider token issuance pauses until the next period's key.")
    return 0
