"""Routes: adding, listing and removing them, for the staff page and `tipline routes` alike
(the database is the one place every process reads them from). Each target is checked
when it is added (an internal address only where the configuration allows it, a file://
directory only from the command line), and a route's secret (signing secret, access token, SMTP password) is
sealed under a key derived from the site's secret key file, not stored as typed."""

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext as _

from tipline.alerts.addresses import literal_refused, refusal_text
from tipline.alerts.fanout import ROUTE_REMOVED
from tipline.alerts.models import Delivery, DeliveryStatus, Event, Route, RouteKind
from tipline.base.site_keys import site_key
from tipline.crypto import aead
from tipline.crypto.errors import DecryptionError

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
MAIL_SCHEMES = ("smtp", "smtps", "smtp+plain", "file")


class RouteError(Exception):
    """The route cannot be added or used as given; the message says what to change."""


@dataclass(frozen=True)
class RouteSpec:
    name: str
    kind: str
    target: str
    room: str = ""
    secret: str = ""
    channel_slugs: tuple[str, ...] = ()
    escalation_only: bool = False
    # Added by whoever runs the server (command line, demo), not on a page: only they may
    # name a file:// directory, which the server and worker then create and write into.
    by_operator: bool = False


@transaction.atomic
def add_route(spec: RouteSpec) -> Route:
    from tipline.core.models import Channel

    _check(spec)
    if Route.objects.filter(name=spec.name).exists():
        raise RouteError(
            _("A route named %(name)s exists already; remove it first or choose another name.") % {"name": spec.name}
        )
    channels = list(Channel.objects.filter(slug__in=spec.channel_slugs))
    unknown = sorted(set(spec.channel_slugs) - {channel.slug for channel in channels})
    if unknown:
        raise RouteError(_("No channel with the slug %(slugs)s.") % {"slugs": ", ".join(unknown)})
    route = Route.objects.create(
        name=spec.name,
        kind=spec.kind,
        target=spec.target.strip(),
        room=spec.room.strip(),
        sealed_secret=seal_secret(spec.name, spec.secret) if spec.secret else None,
        escalation_only=spec.escalation_only,
    )
    route.channels.set(channels)
    routes_changed()
    return route


@transaction.atomic
def remove_route(name: str) -> None:
    """What the route still owed is cancelled ("route removed"); a worker with one of its
    deliveries in flight records that it was delivered, if it was, and nothing else."""
    route = Route.objects.filter(name=name).first()
    if route is None:
        raise RouteError(_("No route named %(name)s.") % {"name": name})
    # The lease goes too: a claim's exact time must not stay at rest beside a tipster's event.
    Delivery.objects.filter(route=route, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED,
        last_error=ROUTE_REMOVED,
        next_attempt_at=None,
        lease_until=None,
        lease_owner="",
    )
    route.delete()
    routes_changed()


def routes_changed() -> None:
    """Every event not yet delivered is fanned out again to the routes there are now."""
    Event.objects.filter(settled=False).update(fanned_out=False)


def find_route(name: str) -> Route:
    route = Route.objects.filter(name=name).first()
    if route is None:
        raise RouteError(_("No route named %(name)s.") % {"name": name})
    return route


def describe_target(route: Route) -> str:
    """What a list may show: scheme, host and port, never a path that may be the secret itself."""
    if route.target.startswith("file://") or route.target.startswith("/"):
        return route.target
    parts = urlsplit(route.target)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"


def route_secret(route: Route) -> str:
    if not route.sealed_secret:
        return ""
    try:
        return _open_secret(route)
    except DecryptionError:
        raise RouteError(
            _("The route's secret cannot be opened (was the secret key file replaced?); add the route again.")
        ) from None


def seal_secret(name: str, secret: str) -> bytes:
    return aead.encrypt(_sealing_key(), secret.encode(), aead.Purpose.ROUTE_SECRET, _context(name))


@transaction.atomic
def reseal_all(old_secret_key: str) -> int:
    """After the secret key file was replaced: each route's secret opened with the old, sealed under the new."""
    resealed = 0
    for route in Route.objects.select_for_update().exclude(sealed_secret=None):
        Route.objects.filter(pk=route.pk).update(
            sealed_secret=seal_secret(route.name, _open_secret(route, old_secret_key))
        )
        resealed += 1
    return resealed


def _open_secret(route: Route, secret_key: str | None = None) -> str:
    assert route.sealed_secret is not None, "callers open only a route that has a secret"
    sealed = bytes(route.sealed_secret)
    return aead.decrypt(_sealing_key(secret_key), sealed, aead.Purpose.ROUTE_SECRET, _context(route.name)).decode()


def _sealing_key(secret_key: str | None = None) -> bytes:
    return site_key(b"tipline-routes", secret_key)


def _context(name: str) -> bytes:
    return aead.context("route", name)


def _check(spec: RouteSpec) -> None:
    if spec.kind not in RouteKind.values:
        raise RouteError(
            _("Unknown kind %(kind)s; use one of: %(kinds)s.")
            % {"kind": spec.kind, "kinds": ", ".join(RouteKind.values)}
        )
    if (
        not spec.name
        or len(spec.name) > 64
        or not spec.name.replace("-", "").replace("_", "").isalnum()
        or not spec.name.isascii()
    ):
        raise RouteError(_("A route's name is up to 64 letters, digits, - or _, e.g. night-desk-mail."))
    if spec.kind == RouteKind.EMAIL:
        _check_mail_target(spec.target, spec.by_operator)
    else:
        _check_http_target(spec.target, spec.kind)
    if spec.kind == RouteKind.MATRIX and not (spec.room.startswith("!") and ":" in spec.room):
        raise RouteError(
            _("A Matrix route needs the room id (it starts with ! and names the server, e.g. !abc123:example.org).")
        )
    if spec.kind in (RouteKind.WEBHOOK, RouteKind.MATRIX) and not spec.secret:
        needed = _("a signing secret") if spec.kind == RouteKind.WEBHOOK else _("an access token")
        raise RouteError(_("This kind of route needs %(what)s.") % {"what": needed})


def _check_mail_target(target: str, by_operator: bool) -> None:
    parts = urlsplit(target)
    if parts.scheme not in MAIL_SCHEMES:
        raise RouteError(
            _(
                "An email route's target is smtp://[user@]host[:port] (STARTTLS), smtps://… (TLS), "
                "smtp+plain://… (no TLS, local relays only) or file:///a/directory (mail written to files)."
            )
        )
    if parts.scheme == "file":
        if not by_operator:
            raise RouteError(_("A file:// target is added on the server's command line only (tipline routes add)."))
        if not Path(parts.path).is_absolute():
            raise RouteError(_("A file:// target needs an absolute directory, e.g. file:///var/lib/tipline/mail."))
    elif not parts.hostname:
        raise RouteError(_("The email route's target names no mail server."))
    elif literal_refused(parts.hostname):
        raise RouteError(refusal_text())
    elif parts.scheme == "smtp+plain" and not _on_this_machine(parts.hostname):
        raise RouteError(
            _("smtp+plain sends mail unencrypted: it is for a relay on this machine only. Use smtp:// or smtps://.")
        )


def _check_http_target(target: str, kind: str) -> None:
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RouteError(_("The target must be a full address such as https://hooks.example.org/…"))
    if literal_refused(parts.hostname):
        raise RouteError(refusal_text())
    if kind == RouteKind.NTFY and not parts.path.strip("/"):
        raise RouteError(_("An ntfy route's target is the topic's address, e.g. https://ntfy.example.org/night-desk."))
    local = _on_this_machine(parts.hostname) or parts.hostname.endswith(".onion")
    if parts.scheme == "http" and not local:
        raise RouteError(_("Use https:// (plain http is accepted only for this machine or an onion address)."))


def _on_this_machine(host: str) -> bool:
    try:
        return host in LOOPBACK_HOSTS or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
