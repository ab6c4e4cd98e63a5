"""Escalation: a deadline alert that nobody acknowledged (opened the tip or changed its
status) within the channel's window goes to the admins and to every route of the channel,
escalation-only routes included. A tip escalates once per deadline, whatever the number of workers."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q

from tipline.alerts import outbox
from tipline.alerts.models import AlertSent, Audience, Event
from tipline.core.models import SETTLED_STATUSES

ESCALATED = "escalated"


def scan(now: datetime) -> int:
    due = Event.objects.filter(escalated=False, acknowledged=False, escalate_at__lte=now).select_related(
        "tip", "channel"
    )
    return sum(_escalate(event, now) for event in due)


def _escalate(event: Event, now: datetime) -> int:
    with transaction.atomic():
        # The UPDATE that flips `escalated` is the claim: one worker wins it.
        if not Event.objects.filter(pk=event.pk, escalated=False).update(escalated=True):
            return 0
        tip = event.tip
        if tip is None or tip.status in SETTLED_STATUSES or not _first_for_this_deadline(tip):
            return 0
        seconds_left = int((tip.deadline - now).total_seconds()) if tip.deadline else None
        outbox.record(
            event.channel, "escalation", tip=tip, seconds_left=seconds_left, audience=Audience.ADMINS, now=now
        )
    return 1


def forget_alerts(tip) -> None:
    """The deadline moved: the alerts of the old one say nothing about the new one."""
    AlertSent.objects.filter(Q(kind__startswith="lead-") | Q(kind__in=("passed", ESCALATED)), tip=tip).delete()


def _first_for_this_deadline(tip) -> bool:
    """One escalation per tip and deadline: its 24 h and 2 h alerts do not ring twice.
    A moved deadline forgets it (forget_alerts) and may escalate again."""
    try:
        with transaction.atomic():
            AlertSent.objects.create(tip=tip, kind=ESCALATED)
    except IntegrityError:
        return False
    return True
