"""What the domain tells the people who watch over it: a tip arrived, a key was refused, a
channel is nearly full. The domain names the event in the transaction of its cause; the alerts
app, above it, records it for its routes and decides later who hears it and how. That app
registers its recorder when Django starts (tipline.alerts.apps), so the domain never imports
it; a process without it refuses to announce rather than lose an alert."""

from collections.abc import Callable
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

RECIPIENTS = "recipients"  # the channel's recipients
ADMINS = "admins"

_recorder: Callable | None = None
_recorded_since: Callable | None = None


def register(recorder: Callable, recorded_since: Callable) -> None:
    """recorder(channel, kind, *, tip, audience, now, people) stores the event with its cause;
    recorded_since(channel, kind, moment) says whether one of that kind was stored since then."""
    global _recorder, _recorded_since
    _recorder, _recorded_since = recorder, recorded_since


def announce(
    channel,
    kind: str,
    *,
    tip=None,
    audience: str = RECIPIENTS,
    now: datetime | None = None,
    people: dict | None = None,
) -> None:
    """`now` is the moment of the cause (a scan passes the hour it scanned for); `people`, a change
    of recipients' staff names."""
    if _recorder is None:
        raise ImproperlyConfigured("Tipline's alerts app is not installed, so an event would be lost: " + kind)
    _recorder(channel, kind, tip=tip, audience=audience, now=now, people=people)


def announce_once_this_hour(channel, kind: str, audiences: tuple[str, ...] = (ADMINS,)) -> None:
    """For what a tipster's attempt finds (a refused key, a full channel): told once an hour and
    stamped with the hour, so nothing at rest tells the second of the attempt."""
    hour = to_the_hour(timezone.now())
    if _recorded_since is None:
        raise ImproperlyConfigured("Tipline's alerts app is not installed, so an event would be lost: " + kind)
    if not _recorded_since(channel, kind, hour):
        for audience in audiences:
            announce(channel, kind, audience=audience, now=hour)


def to_the_hour(moment: datetime) -> datetime:
    """Times kept about tips and the people around them are kept to the hour."""
    return moment.replace(minute=0, second=0, microsecond=0)
