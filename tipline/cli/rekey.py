"""`tipline rekey`: after the secret key file was replaced, everything sealed or keyed under the
old one (insider issuer keys, recipients' public keys, route secrets, the audit chain) moves to
the new one, in one transaction, or nothing does."""

import sys
from pathlib import Path

from tipline.cli.text import _


def add_parser(commands) -> None:
    rekey = commands.add_parser(
        "rekey",
        help=_("after replacing the secret key file: move everything sealed under the old one"),
        description=_(
            "Open with the old secret key file, and seal or sign again under the current one: insider issuer keys, "
            "recipients' public keys, alert route secrets and the audit log's chain. All or nothing. "
            "See docs/deployment.md, key rotation."
        ),
    )
    rekey.add_argument("old_secret_key_file", help=_("the replaced secret key file"))
    rekey.set_defaults(handler=run_rekey)


def run_rekey(arguments) -> int:
    from django.db import transaction

    from tipline.alerts.routes import reseal_all as reseal_routes
    from tipline.audit.services import rekey as relink_audit
    from tipline.config import read_secret_key
    from tipline.core.public_keys import revouch_all
    from tipline.crypto.errors import DecryptionError
    from tipline.insider.keys import reseal_all as reseal_issuer_keys

    try:
        old_secret = read_secret_key(Path(arguments.old_secret_key_file))
        with transaction.atomic():
            done = {
                "issuer_keys": reseal_issuer_keys(old_secret),
                "public_keys": revouch_all(old_secret),
                "routes": reseal_routes(old_secret),
                "audit_entries": relink_audit(old_secret),
            }
    except (OSError, DecryptionError, ValueError) as error:
        print(_("tipline rekey: nothing changed: %(error)s") % {"error": error}, file=sys.stderr)
        return 1
    print(
        _(
            "tipline rekey: under the new secret key now: %(issuer_keys)d insider issuer keys, %(public_keys)d "
            "recipients' public keys, %(routes)d route secrets, %(audit_entries)d audit entries."
        )
        % done
    )
    return 0
