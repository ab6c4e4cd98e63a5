"""Fan-out: each pending outbox event gets one delivery per route (per addressee, for
email) that serves it now; an event is settled once something delivered it."""

import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tipline.accounts.models import User
from tipline.alerts.models import (
    Audience,
    Delivery,
    DeliveryStatus,
    Event,
    Route,
    RouteKind,
)
from tipline.core.events import to_the_hour

log = logging.getLogger("tipline.alerts")
NO_ROUTE = "no route reaches anyone for this channel"
ROUTE_REMOVED = "route removed"
# Events fanned out in one transaction: one commit for many, not one each.
FAN_OUT_CHUNK = 50


def fan_out_pending(limit: int = 500) -> int:
    """New events, and unsettled ones again after the routes changed (routes.routes_changed)."""
    events = list(Event.objects.filter(fanned_out=False).select_related("channel", "tip")[:limit])
    for start in range(0, len(events), FAN_OUT_CHUNK):
        with transaction.atomic():
            for event in events[start : start + FAN_OUT_CHUNK]:
                fan_out(event)
    return len(events)


def fan_out(event: Event) -> None:
    """Give the event one delivery per route (per addressee for email) that serves it now."""
    for route in routes_for(event):
        for recipient in _addressees(route, event):
            _add_delivery(event, route, recipient)
    _cancel_orphans(event)
    Event.objects.filter(pk=event.pk).update(fanned_out=True)
    settle(event.pk)


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


# A change of who reads a channel's tips goes to everyone who was a recipient when it was
# made (`told`), even one removed by it or who turned alert emails off: it is not about a tip.
MEMBERSHIP_EVENTS = ("recipients-changed", "joining-asked", "recipient-reset", "recipient-reset-waiting")


def event_addressees(event: Event):
    told = (event.people or {}).get("told") if event.kind in MEMBERSHIP_EVENTS else None
    if told:
        return User.objects.filter(username__in=told, is_active=True).exclude(email="")
    return email_addressees(event.channel, event.audience, event.tip)


def _addressees(route: Route, event: Event) -> list:
    if route.kind != RouteKind.EMAIL:
        return [None]
    return list(event_addressees(event))


def _add_delivery(event: Event, route: Route, recipient) -> None:
    fan_key = f"{route.pk}:{recipient.pk}" if recipient else str(route.pk)
    if Delivery.objects.filter(event=event, fan_key=fan_key).exists():
        return
    digest = recipient is not None and recipient.quiet_digest and event.caused_by_tipster
    try:
        with transaction.atomic():
            Delivery.objects.create(
                event=event,
                route=route,
                route_name=route.name,
                recipient=recipient,
                fan_key=fan_key,
                status=DeliveryStatus.DIGEST if digest else DeliveryStatus.PENDING,
                next_attempt_at=None if digest else timezone.now(),
                finished_at=finish_time(event.caused_by_tipster) if digest else None,
            )
            if digest:
                from tipline.alerts.models import DigestItem

                DigestItem.objects.create(recipient=recipient, channel_name=event.channel.name, event=event.kind)
    except IntegrityError:
        pass  # another worker fanned it out at the same moment


def _cancel_orphans(event: Event) -> None:
    """Pending deliveries whose route was removed, or whose person no longer wants mail."""
    pending = Delivery.objects.filter(event=event, status=DeliveryStatus.PENDING)
    pending.filter(route__isnull=True).update(
        status=DeliveryStatus.CANCELLED,
        last_error=ROUTE_REMOVED,
        next_attempt_at=None,
        lease_until=None,
        lease_owner="",
    )
    wanted = event_addressees(event).values("pk")
    pending.filter(recipient__isnull=False).exclude(recipient__in=wanted).update(
        status=DeliveryStatus.CANCELLED,
        last_error="the person no longer takes these emails",
        next_attempt_at=None,
        lease_until=None,
        lease_owner="",
    )


def settle(event_id) -> None:
    """Settled when something delivered it and nothing is pending; waiting, with the reason,
    when nothing can. An event deleted meanwhile (its tip purged) is left alone."""
    deliveries = Delivery.objects.filter(event_id=event_id)
    if deliveries.filter(status=DeliveryStatus.PENDING).exists():
        Event.objects.filter(pk=event_id).update(waiting_reason="")
    elif deliveries.filter(status__in=(DeliveryStatus.DELIVERED, DeliveryStatus.DIGEST)).exists():
        Event.objects.filter(pk=event_id).update(settled=True, waiting_reason="")
    else:
        newly_waiting = Event.objects.filter(pk=event_id).exclude(waiting_reason=NO_ROUTE)
        for kind, slug in newly_waiting.values_list("kind", "channel__slug"):
            log.warning("alert %s in %s is waiting: %s", kind, slug, NO_ROUTE)
        newly_waiting.update(waiting_reason=NO_ROUTE)


def finish_time(caused_by_tipster: bool, now=None):
    """When a delivery ended, kept to the hour when a tipster caused the event."""
    now = now or timezone.now()
    return to_the_hour(now) if caused_by_tipster else now
