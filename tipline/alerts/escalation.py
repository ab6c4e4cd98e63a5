"""Escalation: a deadline alert that nobody acknowledged (opened the tip or changed its
status) within the channel's window goes to the admins and to every route of the channel,
escalation-only routes included. Each alert escalates once, whatever the number of workers."""

from datetime import datetime

from django.db import transaction

from tipline.alerts import outbox
from tipline.alerts.models import Audience, Event
from tipline.core.models import SETTLED_STATUSES


def scan(now: datetime) -> int:
    due = Event.objects.filter(escalated=False, acknowledged=False, escalate_at__lte=now).select_related("tip", "channel")
    return sum(_escalate(event, now) for event in due)


def _escalate(event: Event, now: datetime) -> int:
    with transaction.atomic():
        # The UPDATE that flips `escalated` is the claim: one worker wins it.
        if not Event.objects.filter(pk=event.pk, escalated=False).update(escalated=True):
            return 0
        tip = event.tip
        if tip is None or tip.status in SETTLED_STATUSES:
            return 0
        seconds_left = int((tip.deadline - now).total_seconds()) if tip.deadline else None
        outbox.record(event.channel, "escalation", tip=tip, seconds_left=seconds_left, audience=Audience.ADMINS, now=now)
    return 1
