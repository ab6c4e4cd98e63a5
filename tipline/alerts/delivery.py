"""Delivering the outbox: claiming due deliveries under a lease, sending one (network only,
no database, so that many run at once) and recording how it went.

A delivery is claimed by a conditional UPDATE that names the worker and sets a short
lease, which the worker renews while the attempt is in flight; a worker that dies loses
its leases within ALERT_LEASE_SECONDS and another worker (or its own restart) takes the
deliveries up again. Nothing is marked delivered that the route did not take; a failed
delivery waits longer each time (up to ALERT_RETRY_MAX_SECONDS) and is tried again for as
long as its route exists. Nothing here assumes that a row read earlier still exists.
"""

import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from tipline.alerts import notify, transports
from tipline.alerts.fanout import ROUTE_REMOVED, fan_out_pending, finish_time, settle
from tipline.alerts.models import Delivery, DeliveryStatus, Route

log = logging.getLogger("tipline.alerts")

# Attempts in flight at once at a route that is failing: enough to notice it is back, few
# enough that a route that hangs does not fill the pool with attempts bound to time out.
FAILING_ROUTE_SHARE = 2


@dataclass(frozen=True)
class Attempt:
    """A claimed delivery, read whole before it is sent: sending needs no database."""

    delivery_id: uuid.UUID
    event_id: uuid.UUID
    event_kind: str
    caused_by_tipster: bool
    route: Route
    notice: notify.Notice
    addressee: transports.Addressee | None
    attempts_before: int

    def send(self) -> str | None:
        """Through the route now; returns why it failed, or None when the route took it."""
        try:
            transports.send(self.route, self.notice, self.addressee)
        except transports.DeliveryFailed as failure:
            return str(failure) or failure.__class__.__name__
        return None


def due_deliveries(now: datetime):
    unleased = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return Delivery.objects.filter(
        unleased, status=DeliveryStatus.PENDING, next_attempt_at__lte=now, route__isnull=False
    )


def claim(worker_id: str, now: datetime, room: int, in_flight: Counter, per_route: int, skip=()) -> list[Attempt]:
    """Up to `room` due deliveries (none of `skip`), oldest first, none of a route that
    already has its share in flight (counted in `in_flight` by route id): leased to this
    worker. A route's share is `per_route`, or FAILING_ROUTE_SHARE while it is failing."""
    chosen: list = []
    counts = Counter(in_flight)
    failing = set(Route.objects.filter(consecutive_failures__gt=0).values_list("pk", flat=True))

    def share(route_id) -> int:
        return min(per_route, FAILING_ROUTE_SHARE) if route_id in failing else per_route

    while len(chosen) < room:
        full = [route_id for route_id, count in counts.items() if count >= share(route_id)]
        candidates = (
            due_deliveries(now).exclude(route_id__in=full).exclude(pk__in=[*chosen, *skip]).order_by("next_attempt_at")
        )
        batch = list(candidates.values_list("pk", "route_id")[: room - len(chosen)])
        if not batch:
            break
        for delivery_id, route_id in batch:
            if counts[route_id] < share(route_id) and len(chosen) < room:
                chosen.append(delivery_id)
                counts[route_id] += 1
    if not chosen:
        return []
    lease = now + timedelta(seconds=settings.ALERT_LEASE_SECONDS)
    due_deliveries(now).filter(pk__in=chosen).update(lease_until=lease, lease_owner=worker_id)
    held = Delivery.objects.filter(
        pk__in=chosen, lease_owner=worker_id, lease_until=lease, status=DeliveryStatus.PENDING
    )
    return [
        _attempt_of(delivery, delivery.route)
        for delivery in held.select_related("event__channel", "route", "recipient")
        if delivery.route
    ]


def _attempt_of(delivery: Delivery, route: Route) -> Attempt:
    event = delivery.event
    people = event.people or {}
    notice = notify.Notice(
        event=event.kind,
        channel=event.channel.name,
        seconds_left=event.seconds_left,
        id=str(event.pk),
        added=tuple(people.get("added", ())),
        removed=tuple(people.get("removed", ())),
        changed_by=people.get("by", ""),
        reset=tuple(people.get("reset", ())),
    )
    return Attempt(
        delivery_id=delivery.pk,
        event_id=event.pk,
        event_kind=event.kind,
        caused_by_tipster=event.caused_by_tipster,
        route=route,
        notice=notice,
        attempts_before=delivery.attempts,
        addressee=transports.Addressee.of(delivery.recipient) if delivery.recipient else None,
    )


def renew(worker_id: str, delivery_ids, now: datetime) -> int:
    """The attempts still in flight keep their leases for another ALERT_LEASE_SECONDS."""
    lease = now + timedelta(seconds=settings.ALERT_LEASE_SECONDS)
    return Delivery.objects.filter(
        pk__in=list(delivery_ids), lease_owner=worker_id, status=DeliveryStatus.PENDING
    ).update(lease_until=lease)


def record(attempt: Attempt, error: str | None, now: datetime | None = None) -> None:
    """What the attempt found, on whatever rows still exist: a route removed meanwhile,
    or a tip purged with its events, is not an error."""
    now = now or timezone.now()
    if error is None:
        _record_success(attempt, now)
    elif not Route.objects.filter(pk=attempt.route.pk).exists():
        Delivery.objects.filter(pk=attempt.delivery_id, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.CANCELLED,
            last_error=ROUTE_REMOVED,
            next_attempt_at=None,
            lease_until=None,
            lease_owner="",
        )
    else:
        _record_failure(attempt, error, now)
    settle(attempt.event_id)


def _record_success(attempt: Attempt, now: datetime) -> None:
    finished = finish_time(attempt.caused_by_tipster, now)
    # Delivered is the truth even when a removed route cancelled it while it was in flight.
    Delivery.objects.filter(pk=attempt.delivery_id).exclude(status=DeliveryStatus.DELIVERED).update(
        status=DeliveryStatus.DELIVERED,
        attempts=F("attempts") + 1,
        finished_at=finished,
        next_attempt_at=None,
        lease_until=None,
        lease_owner="",
        last_error="",
    )
    _route_worked(attempt.route.pk, finished)
    log.info("alert %s delivered through route %s", attempt.event_kind, attempt.route.name, extra=_held(attempt))


def _record_failure(attempt: Attempt, reason: str, now: datetime) -> None:
    attempts = attempt.attempts_before + 1
    wait = min(settings.ALERT_RETRY_BASE_SECONDS * 2 ** (attempts - 1), settings.ALERT_RETRY_MAX_SECONDS)
    Delivery.objects.filter(pk=attempt.delivery_id, status=DeliveryStatus.PENDING).update(
        attempts=F("attempts") + 1,
        last_error=reason[:500],
        next_attempt_at=now + timedelta(seconds=wait),
        lease_until=None,
        lease_owner="",
    )
    _route_failed(attempt.route.pk, reason, finish_time(attempt.caused_by_tipster, now))
    log.warning(
        "alert %s through route %s failed (attempt %d, next in %d s): %s",
        attempt.event_kind,
        attempt.route.name,
        attempts,
        wait,
        reason,
        extra=_held(attempt),
    )


def _held(attempt: Attempt) -> dict:
    """Log `extra` that holds the line until the hour ends when a tipster caused the event."""
    return {"tipster_activity": True} if attempt.caused_by_tipster else {}


def run_once(now: datetime | None = None) -> int:
    """Fan out what is pending and deliver everything due now, concurrently, waiting for the
    last answer (the command line and tests; the worker runs a Dispatcher continuously)."""
    from tipline.alerts.dispatcher import Dispatcher

    fan_out_pending()
    with Dispatcher(
        worker_id=f"once-{uuid.uuid4().hex[:27]}", clock=(lambda: now) if now else timezone.now
    ) as dispatcher:
        return dispatcher.deliver_due_now()


def send_test(route: Route, email_to: transports.Addressee | None = None) -> None:
    """Through this route now (an email route: to `email_to`); raises DeliveryFailed."""
    notice = notify.Notice(event="test", channel=gettext("(a test)"), id=str(uuid.uuid4()))
    try:
        transports.send(route, notice, email_to)
    except transports.DeliveryFailed as failure:
        _route_failed(route.pk, str(failure), timezone.now())
        raise
    _route_worked(route.pk, timezone.now())


def _route_worked(route_id, now: datetime) -> None:
    Route.objects.filter(pk=route_id).update(last_success_at=now, consecutive_failures=0)


def _route_failed(route_id, reason: str, now: datetime) -> None:
    Route.objects.filter(pk=route_id).update(
        last_failure_at=now, last_error=reason[:500], consecutive_failures=F("consecutive_failures") + 1
    )
