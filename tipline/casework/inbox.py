"""The inbox: tips of a recipient's channels, most urgent deadline first, filtered, and
paged by keyset (the position of the last row, not an offset), so page 500 of 100,000
tips costs what page 1 does.

Order: deadline ascending (overdue first, then due soon, later), tips without a
deadline last; ties newest first, then by id.
"""

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django import forms
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tipline.core import references
from tipline.core.duties import Duty, duties_of, open_duty_filter
from tipline.core.models import NO_DEADLINE, Channel, Label, Tip, TipStatus, readable_by
from tipline.insider.models import Organisation

PAGE_SIZE = 50


class InboxFilters(forms.Form):
    channel = forms.ChoiceField(required=False, label=gettext_lazy("Channel"))
    status = forms.ChoiceField(required=False, label=gettext_lazy("Status"))
    label = forms.ChoiceField(required=False, label=gettext_lazy("Label"))
    assignee = forms.ChoiceField(required=False, label=gettext_lazy("Assignee"))
    deadline = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Deadline"),
        choices=[
            ("", gettext_lazy("Any deadline")),
            ("overdue", gettext_lazy("Overdue")),
            ("soon", gettext_lazy("Due within 24 h")),
            ("any", gettext_lazy("Has a deadline")),
            ("none", gettext_lazy("No deadline")),
        ],
    )
    duty = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Answering duty"),
        choices=[
            ("", gettext_lazy("Any duty")),
            ("acknowledgement-soon", gettext_lazy("Acknowledgement due soon")),
            ("acknowledgement-overdue", gettext_lazy("Acknowledgement overdue")),
            ("feedback-soon", gettext_lazy("Feedback due soon")),
            ("feedback-overdue", gettext_lazy("Feedback overdue")),
        ],
    )
    insider = forms.ChoiceField(required=False, label=gettext_lazy("Member's token"))
    reference = forms.CharField(
        required=False,
        max_length=20,
        label=gettext_lazy("Reference"),
        widget=forms.TextInput(
            attrs={"placeholder": "T-7KQ4-M2XP", "autocomplete": "off", "spellcheck": "false", "size": 12}
        ),
    )
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_reference(self) -> str:
        typed = self.cleaned_data["reference"].strip()
        if not typed:
            return ""
        normalised = references.normalise(typed)
        if normalised is None:
            raise forms.ValidationError(_("A tip's reference looks like T-7KQ4-M2XP."))
        return normalised

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        channels = Channel.objects.filter(recipients=user)
        self.fields["status"].choices = [("", _("Any status")), *TipStatus.choices]
        self.fields["channel"].choices = [
            ("", _("All my channels")),
            *((channel.slug, channel.name) for channel in channels),
        ]
        # Only labels on tips this person may see: another channel's labels, or those on a
        # tip whose tipster left this person out, say something of tips they may not know of.
        labels = Label.objects.filter(Exists(tips_for(user).filter(labels=OuterRef("pk"))))
        self.fields["label"].choices = [("", _("Any label")), *((label.name, label.name) for label in labels)]
        self.colleagues = colleagues_of(user)
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            ("none", _("Nobody")),
            *((name, name) for name in self.colleagues),
        ]
        organisations = Organisation.objects.filter(channels__in=channels).distinct()
        self.fields["insider"].choices = [
            ("", _("With or without")),
            ("any", _("Holds a member's token")),
            ("none", _("No member's token")),
            *(
                (organisation.slug, _("Token of %(name)s") % {"name": organisation.name})
                for organisation in organisations
            ),
        ]


def colleagues_of(user) -> list[str]:
    """Everyone who receives one of this person's channels, this person too, by username."""
    return sorted(
        set(
            Channel.recipients.through.objects.filter(channel__recipients=user).values_list("user__username", flat=True)
        )
    )


@dataclass(frozen=True)
class InboxPage:
    tips: list[Tip]
    next_cursor: str | None


CIPHERTEXT_COLUMNS = ("receipt_lookup_id", "receipt_kdf", "tipster_wrapped_key", "answers_ciphertext")


def tips_for(user) -> QuerySet[Tip]:
    """Every tip a recipient may see in a list (opening one also needs a key grant); a tip
    whose tipster left this person out is not among them."""
    channel_ids = list(Channel.objects.filter(recipients=user).values_list("pk", flat=True))
    if connection.vendor != "sqlite":
        return Tip.objects.filter(channel_id__in=channel_ids).filter(readable_by(user))
    # SQLite's planner would pick the channel index and sort every visible tip (120 ms at
    # 100,000); "+ 0" keeps it on the inbox-order index, which stops after one page (1 ms).
    # PostgreSQL estimates the plain filter well and needs no such help.
    return (
        Tip.objects.alias(visible_channel=F("channel_id") + 0)
        .filter(visible_channel__in=channel_ids)
        .filter(readable_by(user))
    )


def inbox_page(user, filters: dict, cursor: str = "", page_size: int = PAGE_SIZE) -> InboxPage:
    tips = _filtered(tips_for(user), filters)
    if cursor:
        tips = tips.filter(_after(cursor))
    rows = list(
        tips.select_related("channel", "assignee", "insider_organisation")
        .prefetch_related("labels")
        .defer(*CIPHERTEXT_COLUMNS)
        .order_by("deadline_order", "-received_hour", "id")[: page_size + 1]
    )
    next_cursor = _cursor_of(rows[page_size - 1]) if len(rows) > page_size else None
    return InboxPage(tips=rows[:page_size], next_cursor=next_cursor)


def _filtered(tips: QuerySet[Tip], filters: dict) -> QuerySet[Tip]:
    now = timezone.now()
    if filters.get("reference"):
        tips = tips.filter(reference=filters["reference"])
    if filters.get("channel"):
        tips = tips.filter(channel__slug=filters["channel"])
    if filters.get("status"):
        tips = tips.filter(status=filters["status"])
    if filters.get("label"):
        labelled = Tip.labels.through.objects.filter(label__name=filters["label"]).values("tip_id")
        tips = tips.filter(pk__in=labelled)
    if filters.get("assignee") == "none":
        tips = tips.filter(assignee__isnull=True)
    elif filters.get("assignee"):
        tips = tips.filter(assignee__username=filters["assignee"])
    # Deadline filters are ranges of the indexed inbox order (deadline, or NO_DEADLINE when none).
    deadline = filters.get("deadline")
    if deadline == "overdue":
        tips = tips.filter(deadline_order__lt=now)
    elif deadline == "soon":
        tips = tips.filter(deadline_order__gte=now, deadline_order__lt=now + timedelta(hours=24))
    elif deadline == "any":
        tips = tips.filter(deadline_order__lt=NO_DEADLINE)
    elif deadline == "none":
        tips = tips.filter(deadline_order=NO_DEADLINE)
    insider = filters.get("insider")
    if insider == "any":
        tips = tips.filter(insider_organisation__isnull=False)
    elif insider == "none":
        tips = tips.filter(insider_organisation__isnull=True)
    elif insider:
        tips = tips.filter(insider_organisation__slug=insider)
    if filters.get("duty"):
        kind, state = filters["duty"].split("-")
        tips = tips.filter(open_duty_filter(kind, state, now))
    return tips


def _cursor_of(tip) -> str:
    position = [tip.deadline_order.isoformat(), tip.received_hour.isoformat(), str(tip.id)]
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def _after(cursor: str) -> Q:
    try:
        deadline, received, tip_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        deadline, received, tip_id = (
            datetime.fromisoformat(deadline),
            datetime.fromisoformat(received),
            uuid.UUID(tip_id),
        )
    except (ValueError, TypeError):
        return Q()  # a damaged cursor starts from the top rather than failing
    # The leading ">=" repeats what the OR implies; it lets the database start the index walk there.
    return Q(deadline_order__gte=deadline) & (
        Q(deadline_order__gt=deadline)
        | Q(deadline_order=deadline, received_hour__lt=received)
        | Q(deadline_order=deadline, received_hour=received, id__gt=tip_id)
    )


def pressing_duties(tip: Tip) -> list[tuple[Duty, str]]:
    """The answering duties worth showing in a row: due soon or overdue."""
    now = timezone.now()
    return [(duty, duty.state(now)) for duty in duties_of(tip) if duty.state(now) in ("soon", "overdue")]


def urgency(tip: Tip) -> str:
    """overdue, soon (within 24 h), later or none: for the row's badge."""
    if tip.deadline is None:
        return "none"
    left = tip.deadline - timezone.now()
    if left <= timedelta(0):
        return "overdue"
    return "soon" if left <= timedelta(hours=24) else "later"
