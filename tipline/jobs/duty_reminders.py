"""Reminders of answering duties (core.duties): the channel's recipients at each lead time
before an acknowledgement or feedback is due (default 72 h and 24 h), the admins once it
is overdue. Each once, through the same unique alert rows as deadline alerts."""

from datetime import datetime, timedelta

from django.conf import settings

from tipline.alerts.models import Audience
from tipline.core.duties import KINDS, duties_of, open_duty_due_by
from tipline.core.models import Tip
from tipline.jobs.deadlines import alert_once


def reminder_kind(due: datetime, now: datetime) -> str | None:
    if due <= now:
        return "overdue"
    begun = [hours for hours in settings.DUTY_REMINDER_HOURS if due - now <= timedelta(hours=hours)]
    return f"lead-{min(begun)}h" if begun else None


def scan(now: datetime) -> int:
    sent = 0
    for tip in _tips_with_open_duties(now):
        for duty in duties_of(tip):
            kind = reminder_kind(duty.due, now) if duty.done is None else None
            if kind is None:
                continue
            event = f"{duty.kind}-overdue" if kind == "overdue" else f"{duty.kind}-soon"
            audience = Audience.ADMINS if kind == "overdue" else Audience.RECIPIENTS
            seconds_left = int((duty.due - now).total_seconds())
            sent += alert_once(tip, f"{duty.kind}-{kind}", event, seconds_left, now, audience)
    return sent


def _tips_with_open_duties(now: datetime) -> list[Tip]:
    """Tips with a duty whose first reminder has begun and whose overdue alert is not sent."""
    horizon = now + timedelta(hours=max(settings.DUTY_REMINDER_HOURS, default=0))
    found: dict = {}
    for kind in KINDS:
        tips = Tip.objects.filter(open_duty_due_by(kind, horizon)).exclude(alerts__kind=f"{kind}-overdue")
        found.update((tip.pk, tip) for tip in tips.select_related("channel"))
    return list(found.values())
