"""`tipline audit verify|checkpoint|rekey`: the audit log's keyed chain and its signed
checkpoints outside the database (tipline.audit)."""

import sys
from pathlib import Path

from tipline.cli_text import _


def add_audit_parser(commands) -> None:
    audit = commands.add_parser(
        "audit", help=_("verify the audit log; write a signed checkpoint; link it again after a key change"),
        description=_(
            "tipline audit verify: walk the audit log, report the first entry whose keyed link or content does not "
            "match, and hold the log against the latest signed checkpoint (rows removed before it are found). "
            "Exits 1 when anything is wrong. tipline audit checkpoint: append a signed checkpoint now (the worker "
            "does it hourly). tipline audit rekey OLD_SECRET_KEY_FILE: after replacing the secret key file."
        ),
    )
    audit.add_argument("action", choices=["verify", "checkpoint", "rekey"])
    audit.add_argument("old_secret_key_file", nargs="?", help=_("rekey: the replaced secret key file"))
    audit.set_defaults(handler=run_audit)


def run_audit(arguments) -> int:
    return {"verify": _verify, "checkpoint": _checkpoint, "rekey": _rekey}[arguments.action](arguments)


def _verify(arguments) -> int:
    from tipline.audit.services import verify_chain

    report = verify_chain()
    if report.intact:
        print(_("tipline audit verify: %(count)d entries, the chain is intact.") % {"count": report.entries})
        if report.checkpoint_entries is None:
            print(_("No checkpoint yet: rows removed from the end would not be noticed (tipline audit checkpoint)."))
        else:
            print(_("It holds the %(covered)d entries of the latest checkpoint; %(uncovered)d entries came after it.") % {
                "covered": report.checkpoint_entries, "uncovered": report.uncovered,
            })
        return 0
    if report.first_broken_id:
        message = _("tipline audit verify: the chain is broken at entry %(entry)s: %(reason)s.")
    else:
        message = _("tipline audit verify: the chain is broken at its end: %(reason)s.")
    print(message % {"entry": report.first_broken_id, "reason": report.reason})
    return 1


def _checkpoint(arguments) -> int:
    from tipline.audit.checkpoints import path, write_checkpoint

    checkpoint = write_checkpoint()
    print(_("tipline audit checkpoint: %(count)d entries, written to %(file)s") % {"count": checkpoint.entries, "file": path()})
    return 0


def _rekey(arguments) -> int:
    from tipline.audit.services import rekey
    from tipline.config import read_secret_key

    if not arguments.old_secret_key_file:
        print(_("tipline audit rekey: name the replaced secret key file."), file=sys.stderr)
        return 2
    try:
        count = rekey(read_secret_key(Path(arguments.old_secret_key_file)))
    except (OSError, ValueError) as error:
        print(f"tipline audit rekey: {error}", file=sys.stderr)
        return 1
    print(_("tipline audit rekey: %(count)d entries linked again under the new secret key.") % {"count": count})
    return 0
