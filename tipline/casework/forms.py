"""Forms of the recipient pages: reply, note, triage, grant."""

import uuid
import zoneinfo
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tipline.casework import redaction
from tipline.casework.summaries import TITLE_CHARACTERS
from tipline.core.models import ReplyPurpose, TipStatus


class ReplyForm(forms.Form):
    """Its fields' ids start with reply_: the note form on the same page has a `text` too,
    and with one shared id its label put the cursor in the message the tipster reads."""

    text = forms.CharField(
        label=gettext_lazy("Reply to the tipster"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 5})
    )
    purpose = forms.ChoiceField(
        label=gettext_lazy("This reply is"),
        choices=ReplyPurpose.choices,
        required=False,
        help_text=gettext_lazy(
            "Mark the reply that acknowledges receipt, or that tells the tipster what was done (answering duties)."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="reply_%s", **kwargs)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Internal note (recipients only)"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="note_%s", **kwargs)


class TitleForm(forms.Form):
    title = forms.CharField(
        required=False,
        max_length=TITLE_CHARACTERS,
        label=gettext_lazy("Title"),
        help_text=gettext_lazy(
            "Shown to colleagues in the inbox instead of the tip's opening words; kept encrypted. Empty: the opening "
            "words."
        ),
    )


class HandoverForm(forms.Form):
    """What a PDF copy leaves out: ticked parts, and passages typed one per line."""

    passages = forms.CharField(
        required=False,
        max_length=5000,
        label=gettext_lazy("Passages to black out, one per line"),
        help_text=gettext_lazy(
            "Names, places, any words that could point to the tipster: each is blacked out wherever it occurs, in any "
            "case, across line breaks and hidden hyphens. You are told of any that matches nothing before the copy is "
            "made."
        ),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )
    despite_unmatched = forms.BooleanField(required=False, label=gettext_lazy("Make the copy anyway"))

    def __init__(self, part_ids: list[str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.part_ids = part_ids

    def clean_passages(self) -> tuple[str, ...]:
        passages = tuple(
            dict.fromkeys(line.strip() for line in self.cleaned_data["passages"].splitlines() if line.strip())
        )
        if any(len(redaction.key_of(passage)) < 2 for passage in passages):
            raise forms.ValidationError(
                _("A passage of one character would black out every occurrence of it; write at least two.")
            )
        return passages

    def clean(self):
        cleaned = super().clean()
        chosen = self.data.getlist("leave_out")
        if any(part not in self.part_ids for part in chosen):
            raise forms.ValidationError(_("The tip changed since this page was opened; open it again."))
        cleaned["leave_out"] = frozenset(chosen)
        return cleaned


class DestroyForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "Yes: this tip is spam. Destroy it now, with its messages, notes and files; this cannot be undone."
        ),
        error_messages={"required": gettext_lazy("Tick the box to confirm. Nothing was destroyed.")},
    )


class BulkTriageForm(forms.Form):
    """One change to the inbox rows a person ticked: the table sits inside this form, so it
    works without JavaScript. Ids start with bulk_: the filters above use the same names."""

    status = forms.ChoiceField(required=False, label=gettext_lazy("Status"))
    label = forms.CharField(required=False, max_length=40, label=gettext_lazy("Add the label"))
    assignee = forms.ChoiceField(required=False, label=gettext_lazy("Assignee"))
    MAX_TIPS = 200

    def __init__(self, colleagues: list[str], data=None, **kwargs):
        super().__init__(data, auto_id="bulk_%s", **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = [("", _("Keep each tip's status")), *TipStatus.choices]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Keep each tip's assignee")),
            ("none", _("Nobody")),
            *((name, name) for name in colleagues),
        ]

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned["tips"] = list(dict.fromkeys(uuid.UUID(value) for value in self.data.getlist("tips")))[
                : self.MAX_TIPS + 1
            ]
        except ValueError:
            raise forms.ValidationError(_("The ticked tips were not understood; tick them again.")) from None
        if not cleaned["tips"]:
            raise forms.ValidationError(_("Tick at least one tip to change."))
        if len(cleaned["tips"]) > self.MAX_TIPS:
            raise forms.ValidationError(_("Change at most %(count)d tips at once.") % {"count": self.MAX_TIPS})
        if not (cleaned.get("status") or cleaned.get("label", "").strip() or cleaned.get("assignee")):
            raise forms.ValidationError(_("Choose a status, a label or an assignee to apply."))
        return cleaned


class TriageForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=TipStatus.choices)
    labels = forms.CharField(
        required=False,
        max_length=400,
        label=gettext_lazy("Labels"),
        help_text=gettext_lazy("Words separated by commas, e.g. urgent, fraud. Never tip content."),
    )
    assignee = forms.ChoiceField(required=False, label=gettext_lazy("Assignee"))

    def __init__(self, tip, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            ("", _("Nobody")),
            *((user.username, user.username) for user in tip.channel.recipients.all()),
        ]

    def label_names(self) -> list[str]:
        return self.cleaned_data["labels"].split(",")


class GrantForm(forms.Form):
    grantee = forms.ChoiceField(label=gettext_lazy("Give access to"))

    def __init__(self, grantable, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grantee"].choices = [(user.username, user.username) for user in grantable]


class HoldForm(forms.Form):
    hold = forms.BooleanField(required=False, widget=forms.HiddenInput)  # the state the button asks for
    reason = forms.CharField(
        max_length=200,
        label=gettext_lazy("Reason (kept in the audit log)"),
        help_text=gettext_lazy("For example: court case pending. Write a reason, not tip content."),
    )


class DeadlineForm(forms.Form):
    """A tip's deadline as a recipient sets or corrects it, read in the channel's time zone."""

    deadline = forms.DateTimeField(
        required=False,
        label=gettext_lazy("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, tip, *args, **kwargs):
        self.zone = zoneinfo.ZoneInfo(tip.channel.time_zone)
        super().__init__(*args, **kwargs)
        self.fields["deadline"].help_text = _(
            "Read as %(zone)s time. Leave it empty to remove the deadline; alerts follow the new one."
        ) % {"zone": tip.channel.time_zone}

    def full_clean(self):
        with timezone.override(self.zone):
            super().full_clean()

    def clean_deadline(self):
        from tipline.casework.services import DEADLINE_RANGE_MESSAGE, deadline_in_range

        deadline = self.cleaned_data["deadline"]
        if deadline is not None and not deadline_in_range(deadline):
            raise forms.ValidationError(DEADLINE_RANGE_MESSAGE)
        return deadline


class JoiningForm(forms.Form):
    """A recipient's decision on someone waiting to join their channel (core.joining)."""

    username = forms.CharField(max_length=150)
    decision = forms.ChoiceField(choices=[("approve", gettext_lazy("Approve")), ("refuse", gettext_lazy("Refuse"))])
