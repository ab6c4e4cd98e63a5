"""Deadline alerts: a tip's recipients are told at each lead time before its deadline
(default 24 h and 2 h) and once when it passes while the tip is still new. Each alert is
recorded as a unique row with its outbox event, in one transaction, so it happens once
whatever the number of workers or restarts. Tips acted on, closed or spam get none. A
recipient who moves the deadline starts its alerts afresh (tipline.alerts.escalation.forget_alerts)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from tipline.alerts import outbox
from tipline.alerts.models import AlertSent, Audience
from tipline.core.models import SETTLED_STATUSES, Tip, TipStatus


def alert_kind(tip: Tip, now: datetime) -> str | None:
    """The one alert this tip is due for now, if any (the nearest lead time that has begun)."""
    if tip.deadline is None:
        return None
    if tip.deadline <= now:
        return "passed" if tip.status == TipStatus.NEW else None
    begun = [hours for hours in settings.DEADLINE_ALERT_HOURS if tip.deadline - now <= timedelta(hours=hours)]
    return f"lead-{min(begun)}h" if begun else None


def scan(now: datetime) -> int:
    horizon = now + timedelta(hours=max(settings.DEADLINE_ALERT_HOURS, default=0))
    due = Tip.objects.filter(deadline__isnull=False, deadline__lte=horizon).exclude(status__in=SETTLED_STATUSES)
    sent = 0
    for tip in due.select_related("channel").iterator():
        kind = alert_kind(tip, now)
        if kind is None or tip.deadline is None:  # a kind only for a deadline
            continue
        event = "deadline-passed" if kind == "passed" else "deadline-soon"
        seconds_left = int((tip.deadline - now).total_seconds())
        sent += alert_once(tip, kind, event, seconds_left, now)
    return sent


def alert_once(
    tip: Tip, kind: str, event: str, seconds_left: int, now: datetime, audience: str = Audience.RECIPIENTS
) -> bool:
    """Record the alert and its outbox event in one transaction; False if it was recorded before."""
    try:
        with transaction.atomic():
            AlertSent.objects.create(tip=tip, kind=kind)
            outbox.record(tip.channel, event, tip=tip, seconds_left=seconds_left, audience=audience, now=now)
    except IntegrityError:
        return False  # another worker, or an earlier run, sent it
    return True
