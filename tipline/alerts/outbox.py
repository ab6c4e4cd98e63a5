"""Recording events in the transaction of their cause, whatever is configured in the
process that caused them: the worker decides later which routes carry them. Also the
acknowledgement that stops an escalation: a recipient opened the tip or changed it."""

from datetime import datetime, timedelta

from django.utils import timezone

from tipline.alerts.models import TIPSTER_EVENTS, Audience, Event
from tipline.core.events import to_the_hour

DEADLINE_EVENTS = ("deadline-soon", "deadline-passed")


def record(
    channel,
    kind: str,
    tip=None,
    seconds_left: int | None = None,
    audience: str = Audience.RECIPIENTS,
    now: datetime | None = None,
    people: dict | None = None,
) -> Event:
    """`now` is the moment of the cause: a scan passes the time it scanned for. `people`: a
    change of recipients' staff names (Event.people)."""
    now = now or timezone.now()
    if kind in TIPSTER_EVENTS:
        now = to_the_hour(now)
    return Event.objects.create(
        kind=kind,
        channel=channel,
        tip=tip,
        seconds_left=seconds_left,
        audience=audience,
        recorded_at=now,
        people=people or {},
        escalate_at=_escalation_time(channel, tip, now) if kind in DEADLINE_EVENTS else None,
    )


def recorded_since(channel, kind: str, moment: datetime) -> bool:
    return Event.objects.filter(channel=channel, kind=kind, recorded_at__gte=moment).exists()


def _escalation_time(channel, tip, now: datetime) -> datetime | None:
    """The channel's window after the alert, but never later than a deadline still ahead."""
    if channel.escalate_after_minutes is None:
        return None
    escalate_at = now + timedelta(minutes=channel.escalate_after_minutes)
    if tip is not None and tip.deadline is not None and tip.deadline > now:
        escalate_at = min(escalate_at, tip.deadline)
    return escalate_at


def acknowledge(tip) -> int:
    """A recipient acted on the tip: its deadline alerts so far need no escalation."""
    return Event.objects.filter(tip=tip, escalate_at__isnull=False, acknowledged=False).update(acknowledged=True)
