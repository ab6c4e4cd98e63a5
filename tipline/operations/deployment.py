"""`tipline check`: what an operator must fix before this instance is safe to run, found by the
checks each app registers with Django's system-check framework (its `checks.py`; tags and ids
in tipline.base.system_checks), in one order, with Django's own deployment checks when asked."""

from django.core import checks

from tipline.base.system_checks import CONFIGURATION, DATABASE_NOT_READY, DATABASE_STATE, STATE, order


def find_findings(configuration_only: bool = False, deploy: bool = False) -> list[checks.CheckMessage]:
    """Every finding, Tipline's in their ids' order; an empty list means ready.
    `configuration_only` keeps to what the settings and files decide (secret key, mode,
    database and migrations, shared services) and leaves out the state of the running tip
    line (routes, accounts, channels, worker, backups): the server's ExecStartPre, so that
    a stopped worker, a chat service that is down or a colleague not yet signed in does
    not also keep tipsters out. `deploy` adds Django's own checks, its deployment ones among them
    (as `manage check --deploy`), less those SILENCED_SYSTEM_CHECKS leaves out."""
    found = _run(CONFIGURATION)
    if not configuration_only:
        if not any(finding.id in DATABASE_NOT_READY for finding in found):  # these read the database, migrated
            found += _run(DATABASE_STATE)
        found += _run(STATE)
    if deploy:  # what `manage check --deploy` finds besides Tipline's own
        everything = checks.run_checks(include_deployment_checks=True)
        found += [finding for finding in everything if not _tiplines(finding) and not finding.is_silenced()]
    return sorted(found, key=order)


def find_problems(configuration_only: bool = False, deploy: bool = False) -> list[str]:
    """One readable sentence per finding (Django's own with their hint and id)."""
    return [describe(finding) for finding in find_findings(configuration_only, deploy)]


def describe(finding: checks.CheckMessage) -> str:
    if _tiplines(finding):
        return finding.msg
    return " ".join(part for part in (finding.msg, finding.hint, f"({finding.id})") if part)


def _run(tag: str) -> list[checks.CheckMessage]:
    found = checks.run_checks(tags=[tag], include_deployment_checks=True, databases=["default"])
    return [finding for finding in found if not finding.is_silenced()]  # as Django's commands leave them out


def _tiplines(finding: checks.CheckMessage) -> bool:
    return (finding.id or "").startswith("tipline.")
