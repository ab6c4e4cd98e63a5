"""Whether alerts can reach anyone, seen rather than assumed: each route's state, the
channels with deadlines that no working route serves (the admins' banner and `tipline
check`), what is pending or failing (`tipline jobs status`) and one tip's deliveries."""

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tipline.alerts.fanout import email_addressees
from tipline.alerts.models import (
    Audience,
    Delivery,
    DeliveryStatus,
    Event,
    Route,
    RouteKind,
)
from tipline.alerts.routes import describe_target
from tipline.core.models import OPEN_STATUSES, Channel


@dataclass(frozen=True)
class RouteRow:
    name: str
    kind: str
    target: str
    serves: str
    state: str
    failing: bool


def route_rows(with_reasons: bool = True) -> list[RouteRow]:
    """`with_reasons`: a failing route's last error too, for the command line. The staff page
    leaves it out: the words of a refused connection or a TLS handshake would tell whoever
    adds a route which ports and services answer at any address (a port scanner)."""
    return [_row(route, with_reasons) for route in Route.objects.prefetch_related("channels")]


def _row(route: Route, with_reasons: bool) -> RouteRow:
    slugs = [channel.slug for channel in route.channels.all()]
    serves = ", ".join(slugs) if slugs else _("every channel")
    if route.escalation_only:
        serves += " " + _("(escalations only)")
    if route.is_failing and not with_reasons:
        state = ngettext(
            "failing (%(count)d failed attempt since it last worked)",
            "failing (%(count)d failed attempts in a row since it last worked)",
            route.consecutive_failures,
        ) % {"count": route.consecutive_failures}
    elif route.is_failing:
        state = ngettext(
            "failing (%(count)d failed attempt since it last worked): %(error)s",
            "failing (%(count)d failed attempts in a row since it last worked): %(error)s",
            route.consecutive_failures,
        ) % {"count": route.consecutive_failures, "error": route.last_error}
    elif route.last_success_at:
        state = _("working (last delivery %(when)s)") % {"when": f"{route.last_success_at:%Y-%m-%d %H:%M} UTC"}
    else:
        state = _("not used yet")
    return RouteRow(route.name, route.kind, describe_target(route), serves, state, route.is_failing)


def channels_without_working_route() -> list[Channel]:
    """Channels that take deadlines (a deadline field, or open tips with one) that no
    working route serves: their alerts would reach nobody."""
    with_deadlines = Channel.objects.filter(
        Q(fields__is_deadline=True) | Q(tips__deadline__isnull=False, tips__status__in=OPEN_STATUSES)
    ).distinct()
    routes = [
        route
        for route in Route.objects.filter(escalation_only=False).prefetch_related("channels")
        if not route.is_failing
    ]
    return [channel for channel in with_deadlines if not any(_reaches(route, channel) for route in routes)]


def _reaches(route: Route, channel: Channel) -> bool:
    served = {served.pk for served in route.channels.all()}
    if served and channel.pk not in served:
        return False
    return route.kind != RouteKind.EMAIL or email_addressees(channel, Audience.RECIPIENTS).exists()


def startup_report() -> str:
    """What the worker says when it starts: where alerts will go, or that they cannot."""
    routes = Route.objects.count()
    unreached = channels_without_working_route()
    if not routes:
        return _("No alert route: alerts wait until one is added (tipline routes add --help).")
    line = ngettext("Alerts go through %(count)d route.", "Alerts go through %(count)d routes.", routes) % {
        "count": routes
    }
    if unreached:
        line += " " + _("Deadline alerts of %(channels)s would reach nobody: no working route serves them.") % {
            "channels": ", ".join(channel.slug for channel in unreached)
        }
    return line


def pending_report() -> list[str]:
    waiting = Event.objects.filter(settled=False, fanned_out=True).exclude(waiting_reason="").count()
    pending = Delivery.objects.filter(status=DeliveryStatus.PENDING)
    lines = [
        _("Alerts: %(pending)d deliveries pending, %(failing)d of them failing; %(waiting)d events waiting for a route")
        % {
            "pending": pending.count(),
            "failing": pending.exclude(last_error="").count(),
            "waiting": waiting,
        }
    ]
    for delivery in pending.exclude(last_error="").order_by("-attempts")[:10]:
        lines.append(
            "  "
            + _("%(route)s: %(attempts)d attempts, next %(next)s: %(error)s")
            % {
                "route": delivery.route_name,
                "attempts": delivery.attempts,
                "next": f"{delivery.next_attempt_at:%H:%M:%S} UTC" if delivery.next_attempt_at else "-",
                "error": delivery.last_error,
            }
        )
    return lines


def deliveries_of(tip) -> list[Event]:
    """The tip's alerts, newest first, each with its deliveries."""
    return list(Event.objects.filter(tip=tip).prefetch_related("deliveries__recipient").order_by("-recorded_at"))
