"""`tipline worker`: schedules the periodic jobs, runs queued tasks and delivers the
alerts outbox until stopped.

Several workers may run against one PostgreSQL database: a periodic job is enqueued by
the one worker whose UPDATE moves its slot forward, django-tasks-db hands each queued
task to one worker only, and each alert delivery is leased to one worker at a time.
"""

import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import close_old_connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from tipline.alerts import delivery
from tipline.jobs import tasks
from tipline.jobs.models import PeriodicSlot

log = logging.getLogger("tipline.jobs")

PERIODIC = {
    # Often enough that an alert comes well within a minute of its lead time beginning.
    "deadline-scan": (timedelta(seconds=15), tasks.scan_deadlines),
    "retention-purge": (timedelta(hours=1), tasks.purge_expired),
    "orphan-blob-sweep": (timedelta(hours=1), tasks.sweep_orphan_blobs),
    "task-prune": (timedelta(hours=1), tasks.prune_finished_tasks),
    "session-purge": (timedelta(minutes=1), tasks.purge_expired_sessions),
    "audit-checkpoint": (timedelta(hours=1), tasks.write_audit_checkpoint),
    "digest": (timedelta(days=1), tasks.send_digests),
    "insider-keys": (timedelta(hours=1), tasks.rotate_insider_keys),
}


def schedule_due(now: datetime) -> list[str]:
    """Enqueue each periodic job whose time has come; returns the names enqueued by this call."""
    enqueued = []
    for name, (every, job) in PERIODIC.items():
        PeriodicSlot.objects.get_or_create(name=name, defaults={"next_run": now})
        if PeriodicSlot.objects.filter(name=name, next_run__lte=now).update(next_run=now + every):
            job.enqueue()
            enqueued.append(name)
    return enqueued


def run(interval: float = 1.0, should_stop: Callable[[], bool] = lambda: False) -> None:
    """Loop until SIGTERM/SIGINT (or `should_stop`): schedule, run every ready task, sleep."""
    stopping = []
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stopping.append(True))
    worker = _batch_worker()
    log.info("worker %s started", worker.worker_id)
    while not stopping and not should_stop():
        close_old_connections()
        schedule_due(timezone.now())
        worker.run()
        delivery.run_once()
        time.sleep(interval)
    log.info("worker %s stopped", worker.worker_id)


def run_ready_tasks() -> None:
    """Run every task that is ready now, once, then deliver the alerts that are due."""
    worker = _batch_worker()
    worker.run()
    delivery.run_once()


def _batch_worker() -> Worker:
    # batch=True: run() returns once no task is ready, so the loop above can schedule again.
    return Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id=get_random_string(32), excluded_queue_names=[],
    )
