"""`tipline worker`: delivers the alerts outbox, scans deadlines and runs the periodic jobs
until told to stop, riding out every transient fault of the database or a route.

Three loops run side by side, so none waits behind another: the alerts (a Dispatcher:
deliveries in flight from a pool of threads), the deadline scan (deadlines, duties,
escalation: every 15 s) and the other periodic jobs (queued tasks of django-tasks-db). A
loop that meets a database error logs one line, closes its connection, waits (1 s,
doubling to 30 s) and carries on; the main thread watches the loops and records the
worker's heartbeat while they go round.

Several workers may run against one PostgreSQL database: a periodic job is run by the
one worker whose UPDATE moves its slot forward, django-tasks-db hands each queued task to
one worker only, and each alert delivery is leased to one worker at a time.
"""

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import (
    DatabaseError,
    InterfaceError,
    InternalError,
    OperationalError,
    close_old_connections,
    connection,
)
from django.tasks import Task
from django.utils import timezone
from django.utils.crypto import get_random_string

# django-tasks-db's only public way to run tasks is its db_worker command, which installs its
# own SIGINT/SIGTERM handlers (they call sys.exit) and so cannot run in a thread beside the
# alerts loop. Its Worker class, which that command builds, is used here instead: the version is
# pinned (constraints.txt), and the tests run queued tasks through it (run_ready_tasks).
from django_tasks_db.management.commands.db_worker import Worker

from tipline.alerts import delivery, heartbeat
from tipline.alerts.dispatcher import Dispatcher
from tipline.crypto.memory import keep_out_of_core_dumps
from tipline.jobs import tasks
from tipline.jobs.models import PeriodicSlot

log = logging.getLogger("tipline.jobs")

# Run in its own loop, never behind deliveries or an hour's purge.
DEADLINE_SCAN = ("deadline-scan", timedelta(seconds=15))
PERIODIC: dict[str, tuple[timedelta, Task[[], Any]]] = {
    "retention-purge": (timedelta(hours=1), tasks.purge_expired),
    "orphan-blob-sweep": (timedelta(hours=1), tasks.sweep_orphan_blobs),
    "task-prune": (timedelta(hours=1), tasks.prune_finished_tasks),
    "session-purge": (timedelta(minutes=1), tasks.purge_expired_sessions),
    "audit-checkpoint": (timedelta(hours=1), tasks.write_audit_checkpoint),
    "digest": (timedelta(days=1), tasks.send_digests),
    "insider-keys": (timedelta(hours=1), tasks.rotate_insider_keys),
}
FIRST_BACKOFF, LONGEST_BACKOFF = 1.0, 30.0
# The database is away, locked or read-only for a moment: wait and go on. Its other errors
# (a value it refuses, a constraint) are faults of ours, logged whole each time they happen.
DATABASE_AWAY = (OperationalError, InterfaceError, InternalError)
# A loop that has not come round for this long is stuck: the heartbeat stops saying all is
# well. The periodic jobs may rightly take longer (an hour's purge of many tips).
STUCK_AFTER = 120.0
JOBS_STUCK_AFTER = 3600.0


def claim_slot(name: str, every: timedelta, now: datetime) -> bool:
    """True for the one worker whose UPDATE moves the job's slot forward."""
    PeriodicSlot.objects.get_or_create(name=name, defaults={"next_run": now})
    return bool(PeriodicSlot.objects.filter(name=name, next_run__lte=now).update(next_run=now + every))


def schedule_due(now: datetime) -> list[str]:
    """Enqueue each periodic job whose time has come; returns the names enqueued by this call."""
    enqueued = []
    for name, (every, job) in PERIODIC.items():
        if claim_slot(name, every, now):
            job.enqueue()
            enqueued.append(name)
    return enqueued


def scan_deadlines_if_due(now: datetime) -> int:
    name, every = DEADLINE_SCAN
    return tasks.scan_deadlines.call() if claim_slot(name, every, now) else 0


class Loop:
    """One of the worker's loops in its own thread: `step` again and again, `pause` s apart,
    with a backoff on database errors and a log line when a fault begins and ends."""

    def __init__(
        self,
        name: str,
        step: Callable[[], object],
        pause: Callable[[threading.Event], object],
        stopping: threading.Event,
        stuck_after: float = STUCK_AFTER,
    ):
        self.name, self.step, self.pause, self.stopping, self.stuck_after = name, step, pause, stopping, stuck_after
        self.came_round = time.monotonic()
        self.thread = threading.Thread(target=self._run, name=f"tipline-{name}", daemon=True)

    def start(self) -> "Loop":
        self.thread.start()
        return self

    def is_going_round(self) -> bool:
        return self.thread.is_alive() and time.monotonic() - self.came_round < self.stuck_after

    def _run(self) -> None:
        backoff, fault_since = FIRST_BACKOFF, None
        while not self.stopping.is_set():
            try:
                close_old_connections()
                self.step()
            except DATABASE_AWAY as error:
                fault_since = fault_since or time.monotonic()
                if backoff == FIRST_BACKOFF:
                    log.warning(
                        "worker %s: the database is unavailable (%s); trying again, waiting up to %d s",
                        self.name,
                        _one_line(error),
                        LONGEST_BACKOFF,
                    )
                _close_connection()
                self.came_round = time.monotonic()  # waiting on a fault is not being stuck
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, LONGEST_BACKOFF)
                continue
            except Exception:  # a fault in our own code must not stop alerts: log it whole, wait, go on
                log.exception("worker %s: unexpected error; trying again in %d s", self.name, LONGEST_BACKOFF)
                _close_connection()
                self.stopping.wait(LONGEST_BACKOFF)
                continue
            if fault_since is not None:
                log.warning("worker %s: the database is back after %d s", self.name, time.monotonic() - fault_since)
            backoff, fault_since = FIRST_BACKOFF, None
            self.came_round = time.monotonic()
            self.pause(self.stopping)
        _close_connection()


class NotSetUp(Exception):
    """The database answers but holds no Tipline tables, or old ones: a fault no wait cures."""


def run(
    interval: float = 1.0,
    should_stop: Callable[[], bool] = lambda: False,
    when_ready: Callable[[], None] = lambda: None,
) -> None:
    """Until SIGTERM/SIGINT (or `should_stop`): the three loops, watched, with a heartbeat.
    Waits for a database that is not there yet; raises NotSetUp for one never migrated."""
    keep_out_of_core_dumps()  # the worker opens sealed routes and builds digests
    stopping, signalled = threading.Event(), []
    if threading.current_thread() is threading.main_thread():  # signals reach only the main thread
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            # Only a list append in the handler: a second signal arriving inside Event.set() would
            # wait for the lock the first one holds, for ever. The main thread turns it into the event.
            signal.signal(signal_number, lambda *_: signalled.append(True))
    told_to_stop = lambda: bool(signalled) or should_stop()  # noqa: E731
    if not _wait_for_database(told_to_stop):
        return
    try:
        when_ready()
    except (DatabaseError, InterfaceError):
        _close_connection()  # gone again already: the loops wait for it
    worker_id, started_at = get_random_string(32), timezone.now()
    dispatcher = Dispatcher(worker_id)
    task_worker = _batch_worker(worker_id)

    def run_jobs() -> None:
        schedule_due(timezone.now())
        task_worker.run()

    loops = [
        Loop("alerts", dispatcher.step, lambda stop: dispatcher.wait(interval, stop), stopping),
        Loop("deadlines", lambda: scan_deadlines_if_due(timezone.now()), lambda stop: stop.wait(interval), stopping),
        Loop("jobs", run_jobs, lambda stop: stop.wait(interval), stopping, JOBS_STUCK_AFTER),
    ]
    log.info("worker %s started", worker_id)
    for loop in loops:
        loop.start()
    _watch(loops, worker_id, started_at, stopping, told_to_stop)
    for loop in loops:
        loop.thread.join(timeout=60)
    dispatcher.close()
    _say_stopped(worker_id)
    log.info("worker %s stopped", worker_id)


def _wait_for_database(told_to_stop: Callable[[], bool]) -> bool:
    """True once the database answers with every migration applied; False if told to stop first."""
    from django.db.migrations.executor import MigrationExecutor

    backoff = FIRST_BACKOFF
    while not told_to_stop():
        try:
            executor = MigrationExecutor(connection)
            unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except (DatabaseError, InterfaceError) as error:
            if backoff == FIRST_BACKOFF:
                log.warning("worker: waiting for the database (%s)", _one_line(error))
            _close_connection()
            deadline = time.monotonic() + backoff
            while time.monotonic() < deadline and not told_to_stop():
                time.sleep(0.2)
            backoff = min(backoff * 2, LONGEST_BACKOFF)
            continue
        if unapplied:
            raise NotSetUp(
                f"the database is not set up for this version ({len(unapplied)} migrations to apply): run tipline init"
            )
        return True
    return False


def _watch(
    loops: list[Loop], worker_id: str, started_at: datetime, stopping: threading.Event, should_stop: Callable[[], bool]
) -> None:
    """The main thread: a heartbeat while every loop goes round, until told to stop."""
    last_beat = None
    while not stopping.is_set():
        if should_stop():
            stopping.set()
            break
        if last_beat is None or time.monotonic() - last_beat >= heartbeat.HEARTBEAT_SECONDS:
            if _beat(loops, worker_id, started_at):
                last_beat = time.monotonic()
        stopping.wait(0.2)


def _beat(loops: list[Loop], worker_id: str, started_at: datetime) -> bool:
    stuck = [loop.name for loop in loops if not loop.is_going_round()]
    if stuck:
        log.warning(
            "worker %s: the %s loop is stuck; no heartbeat until it goes round again", worker_id, ", ".join(stuck)
        )
        return False
    try:
        heartbeat.beat(worker_id, started_at)
        return True
    except (DatabaseError, InterfaceError):
        _close_connection()  # the loops say so; a heartbeat is tried again in a moment
        return False


def _say_stopped(worker_id: str) -> None:
    try:
        heartbeat.stopped(worker_id)
    except (DatabaseError, InterfaceError):
        pass  # the database is away: the heartbeat simply ages


def run_ready_tasks() -> None:
    """Run every task that is ready now, once, then deliver the alerts that are due."""
    _batch_worker(get_random_string(32)).run()
    delivery.run_once()


def _close_connection() -> None:
    try:
        connection.close()
    except (DatabaseError, InterfaceError):
        pass  # closing a connection to a server that went away may fail too


def _one_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return f"{error.__class__.__name__}: {lines[-1] if lines else ''}"[:300]


def _batch_worker(worker_id: str) -> Worker:
    # batch=True: run() returns once no task is ready, so the loop above can schedule again.
    return Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
