"""What every app's `checks.py` shares: the tags `tipline check` runs its checks by, and findings
with stable ids (tipline.E001, tipline.W020, …) numbered in the order `tipline check` prints them.

Each app registers its own checks with Django's system-check framework (django.core.checks),
as deployment checks (`manage check --deploy` runs them too; no other management command does).
"""

from django.core import checks

# What the settings and files decide: the server's ExecStartPre (`tipline check --configuration-only`).
CONFIGURATION = "tipline_configuration"
# The state of the running tip line that does not read its database (backups, Tor, the audit witness).
STATE = "tipline_state"
# The state of the running tip line read from its database: run only once the database answers and
# is migrated (Django's `database` tag keeps them out of `manage check` without --database, too).
DATABASE_STATE = "tipline_database_state"
# The ids of the findings after which DATABASE_STATE checks are not run.
DATABASE_NOT_READY = frozenset({"tipline.E010", "tipline.E011"})


def register(tag: str, reads_database: bool = False):
    """Register the decorated function as a deployment check of Tipline tagged `tag`."""
    tags = ("tipline", tag, *((checks.Tags.database,) if reads_database or tag == DATABASE_STATE else ()))
    return checks.register(*tags, deploy=True)


def error(number: int, message: str) -> checks.Error:
    return checks.Error(message, id=f"tipline.E{number:03d}")


def warning(number: int, message: str) -> checks.Warning:
    return checks.Warning(message, id=f"tipline.W{number:03d}")


def order(finding: checks.CheckMessage) -> tuple:
    """Tipline's findings in their number's order, then Django's own (by id)."""
    prefix, _, code = (finding.id or "").partition(".")
    return (prefix != "tipline", int(code[1:]) if prefix == "tipline" else 0, finding.id or "")
