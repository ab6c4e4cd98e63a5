"""The worker's side of the outbox: fan each pending event out to the routes that exist
now, then deliver each due delivery under a lease.

A delivery is claimed by one conditional UPDATE that sets a lease; a worker that dies
while it holds one loses it when the lease runs out, and another worker (or its own
restart) takes the delivery up again. Nothing is marked delivered that the route did
not take; a failed delivery waits longer each time (up to ALERT_RETRY_MAX_SECONDS) and
is tried again for as long as its route exists.
"""

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from tipline.accounts.models import User
from tipline.alerts import notify, transports
from tipline.alerts.models import Audience, Delivery, DeliveryStatus, Event, Route, RouteKind, to_the_hour

log = logging.getLogger("tipline.alerts")
NO_ROUTE = "no route reaches anyone for this channel"
BATCH = 50


def run_once(now: datetime | None = None) -> int:
    """One pass of the worker: fan out what is pending, deliver what is due; returns deliveries made."""
    fan_out_pending()
    return deliver_due(now)


def fan_out_pending() -> None:
    """New events, and unsettled ones again after the routes changed (routes.routes_changed)."""
    for event in Event.objects.filter(fanned_out=False).select_related("channel")[:BATCH * 10]:
        fan_out(event)


def fan_out(event: Event) -> None:
    """Give the event one delivery per route (per addressee for email) that serves it now."""
    for route in routes_for(event):
        for recipient in _addressees(route, event):
            _add_delivery(event, route, recipient)
    _cancel_orphans(event)
    Event.objects.filter(pk=event.pk).update(fanned_out=True)
    _settle(event)


def routes_for(event: Event) -> list[Route]:
    routes = Route.objects.filter(Q(channels=None) | Q(channels=event.channel_id)).distinct()
    if event.kind != "escalation":
        routes = routes.filter(escalation_only=False)
    if event.tip is not None and event.tip.restricted:
        # A shared room (chat, push, webhook) may hold the people the tipster left out:
        # only each chosen reader's own email hears of such a tip.
        routes = routes.filter(kind=RouteKind.EMAIL)
    return list(routes)


def email_addressees(channel, audience: str, tip=None):
    if audience == Audience.ADMINS:
        people = User.objects.filter(is_staff=True)
    else:
        people = channel.recipients.all()
    if tip is not None and tip.restricted:
        people = people.filter(tip_grants__tip=tip)  # the readers the tipster chose, no one else
    return people.filter(is_active=True, email_notifications=True).exclude(email="")


def _addressees(route: Route, event: Event) -> list:
    if route.kind != RouteKind.EMAIL:
        return [None]
    return list(email_addressees(event.channel, event.audience, event.tip))


def _add_delivery(event: Event, route: Route, recipient) -> None:
    fan_key = f"{route.pk}:{recipient.pk}" if recipient else str(route.pk)
    if Delivery.objects.filter(event=event, fan_key=fan_key).exists():
        return
    digest = recipient is not None and recipient.quiet_digest and event.caused_by_tipster
    try:
        with transaction.atomic():
            Delivery.objects.create(
                event=event, route=route, route_name=route.name, recipient=recipient, fan_key=fan_key,
                status=DeliveryStatus.DIGEST if digest else DeliveryStatus.PENDING,
                next_attempt_at=None if digest else timezone.now(), finished_at=_finish_time(event) if digest else None,
            )
            if digest:
                from tipline.jobs.models import DigestItem

                DigestItem.objects.create(recipient=recipient, channel_name=event.channel.name, event=event.kind)
    except IntegrityError:
        pass  # another worker fanned it out at the same moment


def _cancel_orphans(event: Event) -> None:
    """Pending deliveries whose route was removed, or whose person no longer wants mail."""
    pending = Delivery.objects.filter(event=event, status=DeliveryStatus.PENDING)
    pending.filter(route__isnull=True).update(status=DeliveryStatus.CANCELLED, last_error="the route was removed", next_attempt_at=None)
    wanted = email_addressees(event.channel, event.audience, event.tip).values("pk")
    pending.filter(recipient__isnull=False).exclude(recipient__in=wanted).update(
        status=DeliveryStatus.CANCELLED, last_error="the person no longer takes these emails", next_attempt_at=None
    )


def _settle(event: Event) -> None:
    deliveries = Delivery.objects.filter(event=event)
    if deliveries.filter(status=DeliveryStatus.PENDING).exists():
        reason = ""
    elif deliveries.filter(status__in=(DeliveryStatus.DELIVERED, DeliveryStatus.DIGEST)).exists():
        Event.objects.filter(pk=event.pk).update(settled=True, waiting_reason="")
        return
    else:
        reason = NO_ROUTE
        if event.waiting_reason != reason:
            log.warning("alert %s in %s is waiting: %s", event.kind, event.channel.slug, reason)
    Event.objects.filter(pk=event.pk).update(waiting_reason=reason)


def deliver_due(now: datetime | None = None) -> int:
    delivered = 0
    now = now or timezone.now()
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, route__isnull=False)
    due = due.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    for delivery_id in list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:BATCH]):
        if _claim(delivery_id, now):
            delivered += _attempt(Delivery.objects.select_related("event__channel", "route", "recipient").get(pk=delivery_id))
    return delivered


def _claim(delivery_id, now: datetime) -> bool:
    lease = now + timedelta(seconds=settings.ALERT_LEASE_SECONDS)
    unleased = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return bool(Delivery.objects.filter(unleased, pk=delivery_id, status=DeliveryStatus.PENDING).update(lease_until=lease))


def _attempt(delivery: Delivery) -> int:
    event, route = delivery.event, delivery.route
    notice = notify.Notice(event=event.kind, channel=event.channel.name, seconds_left=event.seconds_left, id=str(event.pk))
    try:
        addressee = transports.Addressee.of(delivery.recipient) if delivery.recipient else None
        transports.send(route, notice, addressee)
    except transports.DeliveryFailed as failure:
        _record_failure(delivery, str(failure))
        return 0
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.DELIVERED, attempts=delivery.attempts + 1, finished_at=_finish_time(event, now),
        next_attempt_at=None, lease_until=None, last_error="",
    )
    _route_worked(route.pk, _finish_time(event, now))
    log.info("alert %s delivered through route %s", event.kind, route.name, extra=held_if_tipster_caused(event))
    _settle(event)
    return 1


def _record_failure(delivery: Delivery, reason: str) -> None:
    now = timezone.now()
    attempts = delivery.attempts + 1
    wait = min(settings.ALERT_RETRY_BASE_SECONDS * 2 ** (attempts - 1), settings.ALERT_RETRY_MAX_SECONDS)
    Delivery.objects.filter(pk=delivery.pk).update(
        attempts=attempts, last_error=reason[:500], next_attempt_at=now + timedelta(seconds=wait), lease_until=None
    )
    _route_failed(delivery.route_id, reason, _finish_time(delivery.event, now))
    log.warning(
        "alert %s through route %s failed (attempt %d, next in %d s): %s", delivery.event.kind, delivery.route.name, attempts, wait, reason,
        extra=held_if_tipster_caused(delivery.event),
    )


def held_if_tipster_caused(event: Event) -> dict:
    """Log `extra` that holds the line until the hour ends when a tipster caused the event."""
    return {"tipster_activity": True} if event.caused_by_tipster else {}


def _finish_time(event: Event, now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    return to_the_hour(now) if event.caused_by_tipster else now


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
    Route.objects.filter(pk=route_id).update(last_failure_at=now, last_error=reason[:500], consecutive_failures=F("consecutive_failures") + 1)
