"""Answering duties (EU Directive 2019/1937, Art. 9): acknowledge every tip within a
channel's acknowledgement period (default 7 days) and give feedback within its feedback
period (default 90 days), counted from receipt. A reply marked as the acknowledgement or
as feedback meets the duty; this module says what is due, what is late, and reports it.
Spam carries no duty."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils.translation import gettext_lazy

from tipline.core.models import Channel, ReplyPurpose, Tip, TipStatus, readable_by

SOON = timedelta(days=2)
STANDARD_ACKNOWLEDGEMENT = gettext_lazy(
    "Thank you for your tip. We confirm that we have received it. We will look into it and may write "
    "to you here with questions, so please check back with your receipt. We will tell you here what "
    "we have done about it."
)
KINDS = {
    "acknowledgement": ("acknowledge_within_days", "acknowledged_hour"),
    "feedback": ("feedback_within_days", "feedback_hour"),
}


@dataclass(frozen=True)
class Duty:
    kind: str  # "acknowledgement" or "feedback"
    due: datetime
    done: datetime | None

    def state(self, now: datetime) -> str:
        """done, late (done after it was due), overdue, soon (due within two days) or open."""
        if self.done is not None:
            return "done" if self.done <= self.due else "late"
        if self.due <= now:
            return "overdue"
        return "soon" if self.due - now <= SOON else "open"


def duties_of(tip: Tip) -> list[Duty]:
    if tip.status == TipStatus.SPAM:
        return []
    duties = []
    for kind, (days_field, done_field) in KINDS.items():
        days = getattr(tip.channel, days_field)
        if days:
            duties.append(Duty(kind, tip.received_hour + timedelta(days=days), getattr(tip, done_field)))
    return duties


def record_reply_purpose(tip: Tip, purpose: str, hour: datetime) -> dict:
    """The tip fields a reply of this purpose sets (feedback also counts as acknowledgement)."""
    changes = {}
    if purpose in (ReplyPurpose.ACKNOWLEDGEMENT, ReplyPurpose.FEEDBACK) and tip.acknowledged_hour is None:
        changes["acknowledged_hour"] = hour
    if purpose == ReplyPurpose.FEEDBACK and tip.feedback_hour is None:
        changes["feedback_hour"] = hour
    return changes


def open_duty_due_by(kind: str, moment: datetime) -> Q:
    """Tips whose duty of `kind` is still open and falls due at or before `moment`."""
    days_field, done_field = KINDS[kind]
    matches = Q(pk__in=[])
    for channel in Channel.objects.exclude(**{days_field: None}):
        matches |= Q(channel=channel, received_hour__lte=moment - timedelta(days=getattr(channel, days_field)))
    return matches & Q(**{f"{done_field}__isnull": True}) & ~Q(status=TipStatus.SPAM)


def open_duty_filter(kind: str, state: str, now: datetime) -> Q:
    """Tips whose duty of `kind` is still open and `overdue` or due `soon` (a Q for any queryset)."""
    if state == "overdue":
        return open_duty_due_by(kind, now)
    return open_duty_due_by(kind, now + SOON) & ~open_duty_due_by(kind, now)


@dataclass
class DutyFigures:
    in_time: int = 0
    late: int = 0
    overdue_ids: list[str] = field(default_factory=list)
    pending: int = 0

    @property
    def share_in_time(self) -> float | None:
        decided = self.in_time + self.late + len(self.overdue_ids)
        return self.in_time / decided if decided else None


@dataclass
class ChannelReport:
    channel: Channel
    tips: int
    acknowledgement: DutyFigures
    feedback: DutyFigures

    @property
    def duty_rows(self) -> list[tuple[str, DutyFigures]]:
        return [("acknowledgement", self.acknowledgement), ("feedback", self.feedback)]


def report(channels, start: datetime, end: datetime, now: datetime, viewer) -> list[ChannelReport]:
    """Per channel, for tips received in [start, end) that `viewer` may know of (not one whose
    tipster left them out): duties met in time, late, overdue (by id) and still pending."""
    reports = []
    for channel in channels:
        tips = (
            Tip.objects.filter(channel=channel, received_hour__gte=start, received_hour__lt=end)
            .filter(readable_by(viewer))
            .exclude(status=TipStatus.SPAM)
        )
        figures = {"acknowledgement": DutyFigures(), "feedback": DutyFigures()}
        count = 0
        for tip in tips.select_related("channel").order_by("received_hour", "id"):
            count += 1
            for duty in duties_of(tip):
                _count(figures[duty.kind], duty, tip, now)
        reports.append(ChannelReport(channel, count, figures["acknowledgement"], figures["feedback"]))
    return reports


def _count(figures: DutyFigures, duty: Duty, tip: Tip, now: datetime) -> None:
    state = duty.state(now)
    if state == "done":
        figures.in_time += 1
    elif state == "late":
        figures.late += 1
    elif state == "overdue":
        figures.overdue_ids.append(str(tip.id))
    else:
        figures.pending += 1
