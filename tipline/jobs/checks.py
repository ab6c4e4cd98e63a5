"""The checks of `tipline check` that the worker owns: that one runs, and rotates insider keys."""

from django.core.checks import CheckMessage
from django.utils.translation import gettext as _

from tipline.base.system_checks import DATABASE_STATE, register, warning


@register(DATABASE_STATE)
def check_worker(**kwargs) -> list[CheckMessage]:
    from datetime import timedelta

    from django.utils import timezone

    from tipline.alerts.heartbeat import silence
    from tipline.insider.models import Organisation
    from tipline.jobs.models import PeriodicSlot

    nobody = silence()
    if nobody is not None:
        return [warning(26, _worker_silence_problem(nobody))]
    if not Organisation.objects.exists():
        return []
    rotation = PeriodicSlot.objects.filter(name="insider-keys").first()
    if rotation is None or rotation.next_run < timezone.now() - timedelta(hours=2):
        return [
            warning(
                27,
                _(
                    "Insider organisations exist, but no worker has rotated their keys in the last two hours: run "
                    "tipline worker (docs/operations.md)."
                ),
            )
        ]
    return []


def _worker_silence_problem(nobody) -> str:
    if nobody.last_seen is None:
        return _(
            "No worker has run on this tip line: alerts, deadline scans and retention wait. Start tipline worker "
            "(docs/operations.md, The worker)."
        )
    return _(
        "No worker has been seen since %(when)s UTC (last on %(host)s): alerts, deadline scans and retention wait. "
        "Start tipline worker (docs/operations.md, The worker)."
    ) % {"when": f"{nobody.last_seen.last_seen_at:%Y-%m-%d %H:%M:%S}", "host": nobody.last_seen.host or "?"}
