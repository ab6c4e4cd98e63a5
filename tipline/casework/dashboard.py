"""The dashboard: figures over the tips a person may see (an admin: every channel; a
recipient: their channels; neither a tip whose tipster left them out, not even as a count),
from plaintext triage metadata only, and the same figures as
SVG charts drawn on the server with pygal. Charts are images: they need no JavaScript on
the page, and each figure is also in a table beside its chart.
"""

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import pygal
from django.db.models import Min
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from tipline.core import readers
from tipline.core.models import OPEN_STATUSES, Author, Channel, Tip, TipStatus, readable_by

WEEKS = 12


@dataclass(frozen=True)
class Figures:
    channels: list[str]
    weeks: list[datetime]  # the Monday of each week, oldest first
    tips_per_week: dict[str, list[int]]  # channel name -> a count per week
    median_hours_to_first_reply: dict[str, float | None]  # channel name -> hours, None without replies
    open_by_status: dict[str, int]  # status label -> count
    overdue: int
    readers_chosen_by_tipsters: bool  # a channel here lets tipsters leave recipients out: its figures differ per person
    due_by_day: list[tuple[datetime, int]]  # the next 7 days


def channels_for(user) -> list[Channel]:
    channels = Channel.objects.all() if user.is_admin else Channel.objects.filter(recipients=user)
    return list(channels.order_by("name"))


def figures_for(user, now: datetime | None = None) -> Figures:
    now = now or timezone.now()
    channels = channels_for(user)
    tips = Tip.objects.filter(channel__in=channels).filter(readable_by(user))
    first_week = _monday(now) - timedelta(weeks=WEEKS - 1)
    weeks = [first_week + timedelta(weeks=number) for number in range(WEEKS)]
    return Figures(
        channels=[channel.name for channel in channels],
        weeks=weeks,
        tips_per_week=_tips_per_week(tips, channels, weeks),
        median_hours_to_first_reply=_median_first_reply(tips, channels, first_week),
        open_by_status=_open_by_status(tips),
        overdue=tips.filter(status__in=OPEN_STATUSES, deadline__lt=now).count(),
        due_by_day=_due_by_day(tips, now),
        readers_chosen_by_tipsters=any(channel.tipsters_may_leave_out for channel in channels),
    )


@dataclass(frozen=True)
class UnreadableTip:
    reference: str
    channel: str
    received_hour: datetime
    recoverable: bool  # the organisation recovery key can grant it again


def unreadable_for(user) -> list[UnreadableTip]:
    """Tips of this person's channels that nobody on the staff can open now, of those they may know of."""
    tips = readers.unreadable_tips().filter(channel__in=channels_for(user)).filter(readable_by(user))
    recoverable = set(readers.recoverable(tips).values_list("pk", flat=True))
    return [
        UnreadableTip(tip.reference, tip.channel.name, tip.received_hour, tip.pk in recoverable)
        for tip in tips.select_related("channel").order_by("received_hour")
    ]


def _monday(moment: datetime) -> datetime:
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return start - timedelta(days=start.weekday())


def _tips_per_week(tips, channels, weeks) -> dict[str, list[int]]:
    counts = Counter(
        (channel_id, _monday(received))
        for channel_id, received in tips.filter(received_hour__gte=weeks[0]).values_list("channel_id", "received_hour")
    )
    return {channel.name: [counts[(channel.pk, week)] for week in weeks] for channel in channels}


def _median_first_reply(tips, channels, since) -> dict[str, float | None]:
    replied = (
        tips.filter(received_hour__gte=since, messages__author=Author.RECIPIENT)
        .annotate(first_reply=Min("messages__sent_hour"))
        .values_list("channel_id", "received_hour", "first_reply")
    )
    waits: dict[int, list[float]] = defaultdict(list)
    for channel_id, received, first_reply in replied:
        waits[channel_id].append((first_reply - received).total_seconds() / 3600)
    return {channel.name: (statistics.median(waits[channel.pk]) if waits[channel.pk] else None) for channel in channels}


def _open_by_status(tips) -> dict[str, int]:
    counts = Counter(tips.filter(status__in=OPEN_STATUSES).values_list("status", flat=True))
    return {str(TipStatus(status).label): counts[status] for status in OPEN_STATUSES}


def _due_by_day(tips, now) -> list[tuple[datetime, int]]:
    days = [now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=number) for number in range(7)]
    deadlines = tips.filter(status__in=OPEN_STATUSES, deadline__gte=now, deadline__lt=days[-1] + timedelta(days=1))
    counts = Counter(
        deadline.replace(hour=0, minute=0, second=0, microsecond=0)
        for deadline in deadlines.values_list("deadline", flat=True)
    )
    return [(day, counts[day]) for day in days]


# ---- Charts ---------------------------------------------------------------------------------

CHARTS = ("tips-per-week", "first-reply", "open-by-status", "deadlines")


def chart_svg(name: str, figures: Figures) -> str:
    chart = _CHART_MAKERS[name](figures)
    # pygal embeds a script with its configuration; an SVG shown as an image never runs it,
    # and removing it keeps the image free of any script at all.
    return re.sub(r"<script\b[^>]*>.*?</script>", "", chart.render(is_unicode=True), flags=re.DOTALL)


def _style():
    return pygal.style.Style(
        background="transparent",
        plot_background="transparent",
        foreground="#1d2327",
        foreground_strong="#1d2327",
        foreground_subtle="#50575e",
        colors=("#1f5f5b", "#c2410c", "#3b2f73", "#6b7280", "#a16207", "#0369a1"),
        font_family="system-ui, sans-serif",
    )


def _options(title: str) -> dict:
    return {
        "title": title,
        "style": _style(),
        "js": [],
        "width": 720,
        "height": 360,
        "legend_at_bottom": True,
        "print_values": False,
        "show_y_guides": True,
        "no_data_text": _("No data"),
    }


def _whole_numbers(largest: int) -> list[int]:
    """Axis marks for counts: whole numbers only, about five of them."""
    step = max(1, -(-largest // 5))
    return list(range(0, max(largest, 1) + step, step))


def _tips_per_week_chart(figures: Figures):
    chart = pygal.StackedBar(**_options(_("Tips per week")), x_label_rotation=0)
    chart.x_labels = [dateformat.format(week, "j M") for week in figures.weeks]  # month names translated
    for channel, counts in figures.tips_per_week.items():
        chart.add(channel, counts)
    chart.y_labels = _whole_numbers(max(map(sum, zip(*figures.tips_per_week.values(), strict=False)), default=0))
    return chart


def _first_reply_chart(figures: Figures):
    chart = pygal.HorizontalBar(**_options(_("Median hours to the first reply (last 12 weeks)")))
    for channel, hours in figures.median_hours_to_first_reply.items():
        chart.add(channel, [round(hours, 1) if hours is not None else None])
    return chart


def _open_by_status_chart(figures: Figures):
    chart = pygal.Bar(**_options(_("Open tips by status")))
    chart.x_labels = list(figures.open_by_status)
    chart.add(_("Tips"), list(figures.open_by_status.values()))
    chart.y_labels = _whole_numbers(max(figures.open_by_status.values(), default=0))
    return chart


def _deadlines_chart(figures: Figures):
    chart = pygal.Bar(**_options(_("Deadlines: overdue and the next 7 days")))
    chart.x_labels = [_("Overdue"), *(dateformat.format(day, "D j") for day, _count in figures.due_by_day)]
    counts = [figures.overdue, *(count for _day, count in figures.due_by_day)]
    chart.add(_("Tips"), counts)
    chart.y_labels = _whole_numbers(max(counts))
    return chart


_CHART_MAKERS = {
    "tips-per-week": _tips_per_week_chart,
    "first-reply": _first_reply_chart,
    "open-by-status": _open_by_status_chart,
    "deadlines": _deadlines_chart,
}
