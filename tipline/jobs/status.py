"""`tipline jobs status`: what is queued, running and failed, when each scan runs next, and
which alerts are pending or failing."""

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from tipline.alerts import heartbeat
from tipline.alerts.health import pending_report
from tipline.jobs.models import PeriodicSlot

# No periodic task runs this long: one still "running" lost its worker (killed mid-task).
STALLED_AFTER = timedelta(minutes=10)


def report() -> str:
    counts = dict(DBTaskResult.objects.values_list("status").annotate(total=Count("id")))
    figures = {status.lower(): counts.get(status, 0) for status in ("READY", "RUNNING", "FAILED", "SUCCESSFUL")}
    figures["stalled"] = DBTaskResult.objects.filter(
        status="RUNNING", started_at__lt=timezone.now() - STALLED_AFTER
    ).count()
    figures["running"] -= figures["stalled"]
    lines = [_("Tasks: ready %(ready)d, running %(running)d, failed %(failed)d, successful %(successful)d") % figures]
    if figures["stalled"]:
        lines.append(
            "  "
            + _(
                "stalled %(stalled)d: started over 10 minutes ago by a worker that stopped; the next run of each scan "
                "does their work"
            )
            % figures
        )
    failed = DBTaskResult.objects.filter(status="FAILED").order_by("-finished_at")[:10]
    for result in failed:
        task = result.task_path.rsplit(".", 1)[-1]
        lines.append(
            "  "
            + _("failed %(when)s %(task)s: %(error)s")
            % {
                "when": f"{result.finished_at:%Y-%m-%d %H:%M}",
                "task": task,
                "error": result.exception_class_path,
            }
        )
    lines += _worker_lines()
    lines.append(_("Next scheduled:"))
    slots = list(PeriodicSlot.objects.order_by("name"))
    lines += [f"  {slot.name}: {slot.next_run:%Y-%m-%d %H:%M:%S} UTC" for slot in slots] or [
        "  " + _("nothing yet (no worker has run)")
    ]
    return "\n".join(lines + pending_report())


def _worker_lines() -> list[str]:
    now = timezone.now()
    workers = heartbeat.running(now)
    if workers:
        return [_("Workers running: %(count)d") % {"count": len(workers)}] + [
            "  "
            + _("%(host)s pid %(pid)d, started %(started)s UTC, seen %(seconds)d s ago")
            % {
                "host": worker.host,
                "pid": worker.pid,
                "started": f"{worker.started_at:%Y-%m-%d %H:%M}",
                "seconds": (now - worker.seen_at).total_seconds(),
            }
            for worker in workers
        ]
    last = heartbeat.last_seen()
    if last is None:
        return [_("Workers running: none, and none has run yet: alerts are not going out (start tipline worker)")]
    return [
        _("Workers running: none since %(when)s UTC: alerts are not going out (start tipline worker)")
        % {
            "when": f"{last.last_seen_at:%Y-%m-%d %H:%M:%S}",
        }
    ]
