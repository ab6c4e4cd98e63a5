"""The worker's deliveries in flight: due alerts sent from a bounded pool of threads, each
route with work getting an equal part of it (at most ALERT_ROUTE_CONCURRENCY), so a route
that hangs holds up only its own part.

Only the thread that drives the Dispatcher touches the database (claims, lease renewals,
records); the pool's threads only talk to routes. An answer that arrives while the
database is away is kept and recorded once it is back.
"""

import logging
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime

from django.conf import settings
from django.db import DataError, IntegrityError, ProgrammingError, transaction
from django.utils import timezone

from tipline.alerts import delivery, transports
from tipline.alerts.fanout import fan_out_pending

log = logging.getLogger("tipline.alerts")

# The database is there but will not take this row: a fault of the row, not of the database.
REFUSED_ROW = (DataError, IntegrityError, ProgrammingError)


class Dispatcher:
    def __init__(self, worker_id: str, clock=timezone.now, threads: int | None = None, per_route: int | None = None):
        self.worker_id = worker_id
        self.clock = clock
        self.threads = threads or settings.ALERT_DELIVERY_THREADS
        self.per_route = per_route or settings.ALERT_ROUTE_CONCURRENCY
        self.pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="tipline-alert")
        self.in_flight: dict[Future, delivery.Attempt] = {}
        self.answered: list[tuple[delivery.Attempt, str | None]] = []
        self.renewed_at = time.monotonic()

    def __enter__(self) -> "Dispatcher":
        return self

    def __exit__(self, *_exception) -> None:
        self.close()

    def step(self) -> int:
        """Record what was answered, keep the leases of what is in flight, fan out new events
        and start what is due and fits; returns the attempts started."""
        self._collect()
        self._record_answered()
        self._renew_leases()
        fan_out_pending()
        return self._start_due()

    def wait(self, timeout: float, stopping: threading.Event | None = None) -> None:
        """Until an attempt ends, or `timeout` s (or `stopping` is set, when nothing is in flight)."""
        if self.in_flight:
            wait(list(self.in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
        elif stopping is not None:
            stopping.wait(timeout)
        else:
            time.sleep(timeout)

    def deliver_due_now(self) -> int:
        """Everything due now, each once, to its last answer; returns the deliveries that succeeded."""
        delivered, tried = 0, set[uuid.UUID]()
        while self._start_due(skip=tried) or self.in_flight:
            tried.update(attempt.delivery_id for attempt in self.in_flight.values())
            wait(list(self.in_flight), return_when=FIRST_COMPLETED)
            self._collect()
            delivered += sum(error is None for _attempt, error in self.answered)
            self._record_answered()
        return delivered

    def close(self, timeout: float | None = None) -> None:
        """Wait for the attempts in flight (each ends by its own deadline), record them if
        the database lets us, and stop the pool."""
        if self.in_flight:
            wait(
                list(self.in_flight),
                timeout=timeout if timeout is not None else settings.ALERT_SEND_TIMEOUT_SECONDS + 5,
            )
        self._collect()
        try:
            self._record_answered()
        except Exception as error:  # noqa: BLE001 - whatever stops the recording, the pool must stop: the database is away: the leases run out, another worker tries again
            log.warning(
                "%d alert answers not recorded at stop (%s): they will be sent again",
                len(self.answered),
                error.__class__.__name__,
            )
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _start_due(self, skip=()) -> int:
        room = self.threads - len(self.in_flight)
        if room <= 0:
            return 0
        busy = Counter(attempt.route.pk for attempt in self.in_flight.values())
        now = self._now()
        attempts = delivery.claim(self.worker_id, now, room, busy, self._fair_share(busy, now), skip)
        for attempt in attempts:
            self.in_flight[self.pool.submit(attempt.send)] = attempt
        return len(attempts)

    def _fair_share(self, busy: Counter, now: datetime) -> int:
        """Each route with work gets an equal part of the pool (up to ALERT_ROUTE_CONCURRENCY):
        routes that hang can hold only their own parts, never a healthy route's."""
        routes = set(busy) | set(delivery.due_deliveries(now).order_by().values_list("route_id", flat=True).distinct())
        return max(1, min(self.per_route, self.threads // max(1, len(routes))))

    def _collect(self) -> None:
        for future in [future for future in self.in_flight if future.done()]:
            attempt = self.in_flight.pop(future)
            try:
                error = future.result()
            except Exception as failure:  # a fault in our own code: a failed attempt, not a dead worker
                log.exception("alert through route %s: unexpected error", attempt.route.name)
                error = transports.printable(f"{failure.__class__.__name__}: {failure}")
            self.answered.append((attempt, error))

    def _record_answered(self) -> None:
        """All answers in one commit; if the database refuses one for its own sake (not
        because it is away), each in its own, so that one is logged and left to its lease,
        never kept to block every other answer behind it."""
        if not self.answered:
            return
        now = self._now()
        try:
            with transaction.atomic():
                for attempt, error in self.answered:
                    delivery.record(attempt, error, now)
            self.answered = []
            return
        except REFUSED_ROW:
            pass
        while self.answered:
            attempt, error = self.answered[0]
            try:
                with transaction.atomic():
                    delivery.record(attempt, error, now)
            except REFUSED_ROW:
                log.exception(
                    "alert through route %s: its answer could not be recorded; it will be tried again",
                    attempt.route.name,
                )
            self.answered.pop(0)

    def _renew_leases(self) -> None:
        if self.in_flight and time.monotonic() - self.renewed_at >= settings.ALERT_LEASE_SECONDS / 3:
            delivery.renew(self.worker_id, [attempt.delivery_id for attempt in self.in_flight.values()], self._now())
            self.renewed_at = time.monotonic()

    def _now(self) -> datetime:
        return self.clock()
