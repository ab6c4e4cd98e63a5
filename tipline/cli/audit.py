"""`tipline audit verify|checkpoint`: the audit log's keyed chain and its signed
checkpoints outside the database (tipline.audit). After a new secret key file, `tipline
rekey` links the chain again (with everything else sealed under that file)."""

from tipline.cli.text import _


def add_parser(commands) -> None:
    audit = commands.add_parser(
        "audit",
        help=_("verify the audit log; write a signed checkpoint"),
        description=_(
            "tipline audit verify: walk the audit log, report the first entry whose keyed link or content does not "
            "match, and hold the log against the latest signed checkpoint (rows removed before it are found). "
            "Exits 1 when anything is wrong. tipline audit checkpoint: append a signed checkpoint now (the worker "
            "does it hourly)."
        ),
    )
    audit.add_argument("action", choices=["verify", "checkpoint"])
    audit.set_defaults(handler=run_audit)


def run_audit(arguments) -> int:
    return {"verify": _verify, "checkpoint": _checkpoint}[arguments.action](arguments)


def _verify(arguments) -> int:
    from tipline.audit.services import verify_chain

    report = verify_chain()
    if report.intact:
        print(_("tipline audit verify: %(count)d entries, the chain is intact.") % {"count": report.entries})
        if report.checkpoint_entries is None:
            print(_("No checkpoint yet: rows removed from the end would not be noticed (tipline audit checkpoint)."))
        else:
            print(
                _("It holds the %(covered)d entries of the latest checkpoint; %(uncovered)d entries came after it.")
                % {
                    "covered": report.checkpoint_entries,
                    "uncovered": report.uncovered,
                }
            )
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
    print(
        _("tipline audit checkpoint: %(count)d entries, written to %(file)s")
        % {"count": checkpoint.entries, "file": path()}
    )
    return 0
