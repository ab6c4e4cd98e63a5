"""The forms tipsters fill in: a channel's tip form (built from its fields), the receipt
form and the reply form. They validate at the boundary and say what to fix."""

import secrets
import zoneinfo
from datetime import date, datetime, time
from typing import cast

from django import forms
from django.conf import settings
from django.core import signing
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from tipline.core.conversation import Answer
from tipline.core.models import Channel, FieldKind, FormField, InsiderTokens
from tipline.core.submission import (
    name_as_tipsters_read_it,
    recipients_a_tipster_may_leave_out,
)
from tipline.crypto.receipts import contains_receipt
from tipline.insider import redemption

FORM_TOKEN_SALT = "tipline.intake.tip-form"
FORM_TOKEN_MAX_AGE = 24 * 3600
DATETIME_INPUT = "%Y-%m-%dT%H:%M"
RECEIPT_IN_TEXT = gettext_lazy(
    "This looks like a receipt. Never put a receipt into a tip: anyone who reads the tip could use it. "
    "To follow up on a tip you sent, use “Check on your tip”."
)


def new_form_token() -> str:
    return signing.dumps(secrets.token_urlsafe(18), salt=FORM_TOKEN_SALT)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        items = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if not items and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def build_field(spec: FormField, language: str | None = None) -> forms.Field:
    channel = spec.channel
    common = {
        "label": channel.field_text(spec.key, "label", language, spec.label),
        "help_text": channel.field_text(spec.key, "help", language, spec.help_text),
        "required": spec.required,
    }
    # Stored answers keep the values as written; only what the tipster reads is translated.
    shown_choices = list(
        zip(spec.choices, channel.field_text(spec.key, "choices", language, spec.choices), strict=True)
    )
    kind = spec.kind
    if kind in (FieldKind.SHORT_TEXT, FieldKind.LONG_TEXT):
        limit = min(spec.max_length or settings.MAX_ANSWER_CHARS, settings.MAX_ANSWER_CHARS)
        widget = forms.Textarea(attrs={"rows": 8}) if kind == FieldKind.LONG_TEXT else forms.TextInput()
        return text_field_with_a_stated_limit(forms.CharField(max_length=limit, widget=widget, **common), limit)
    if kind == FieldKind.NUMBER:
        return forms.DecimalField(
            min_value=spec.min_value, max_value=spec.max_value, max_digits=26, decimal_places=6, **common
        )
    if kind == FieldKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
    if kind == FieldKind.DATETIME:
        return forms.DateTimeField(
            input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M"],
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
            **common,
        )
    if kind == FieldKind.SELECT:
        return forms.ChoiceField(choices=[("", "—"), *shown_choices], **common)
    if kind == FieldKind.MULTI_SELECT:
        return forms.MultipleChoiceField(choices=shown_choices, widget=forms.CheckboxSelectMultiple, **common)
    if kind == FieldKind.CHECKBOX:
        return forms.BooleanField(**common)
    if kind == FieldKind.FILE:
        return MultipleFileField(**common)
    raise ValueError(f"unknown field kind {kind!r}")


FIRST_YEAR, LAST_YEAR = 1900, 2999


class TipForm(forms.Form):
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, channel: Channel, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel = channel
        self.specs = list(channel.fields.all())
        language = get_language()
        for spec in self.specs:
            spec.channel = channel  # one query for the form, not one per field
            field = self.fields[self.field_name(spec)] = build_field(spec, language)
            if spec.kind == FieldKind.DATETIME:
                zone = _("Times are read as %(zone)s time.") % {"zone": channel.time_zone}
                field.help_text = f"{field.help_text} {zone}".strip()
        if channel.asks_for_insider_token:
            self.fields["insider_token"] = insider_token_field(channel)
        if leave_out := leave_out_field(channel):
            self.fields["leave_out"] = leave_out
        self.verified_token: redemption.VerifiedToken | None = None

    def clean_leave_out(self) -> list[str]:
        chosen = self.cleaned_data["leave_out"]
        field = cast(LeaveOutField, self.fields["leave_out"])  # leave_out_field made it
        if len(chosen) >= len(field.choices) and not field.always_read:  # type: ignore[arg-type]  # Django holds them as a list; django-stubs types them as given
            raise forms.ValidationError(_("Leave at least one recipient to read your tip."))
        return chosen

    def left_out(self) -> frozenset[int]:
        return frozenset(int(value) for value in self.cleaned_data.get("leave_out") or [])

    def full_clean(self):
        # Dates and times without an offset are the channel's local time, whoever sends
        # them (page or API); one with an offset is taken as given.
        with timezone.override(zoneinfo.ZoneInfo(self.channel.time_zone)):
            super().full_clean()

    @staticmethod
    def field_name(spec: FormField) -> str:
        return f"answer-{spec.key}"

    @property
    def has_files(self) -> bool:
        return any(spec.kind == FieldKind.FILE for spec in self.specs)

    def clean_form_token(self) -> str:
        token = self.cleaned_data["form_token"]
        try:
            signing.loads(token, salt=FORM_TOKEN_SALT, max_age=FORM_TOKEN_MAX_AGE)
        except signing.BadSignature:
            raise forms.ValidationError(
                _("This form was open too long or was damaged. Your text is kept; please send it again.")
            ) from None
        return token

    def offers_valid_token(self) -> bool:
        """Whether the tip carries a member's token that would be accepted now (read before
        validation, to choose the rate-limit budget; validation checks it again)."""
        text = (self.data.get("insider_token") or "").strip() if "insider_token" in self.fields else ""
        organisation = self.channel.insider_organisation  # there is one where the field is
        if not text or organisation is None:
            return False
        try:
            redemption.check(organisation, text)
        except redemption.TokenRejected:
            return False
        return True

    def clean_insider_token(self) -> str:
        text = self.cleaned_data["insider_token"].strip()
        organisation = self.channel.insider_organisation
        if text and organisation is not None:  # there is one where the field is
            try:
                self.verified_token = redemption.check(organisation, text)
            except redemption.TokenRejected as rejection:
                raise forms.ValidationError(rejection.message, code=rejection.code) from None
        return text

    def clean(self):
        cleaned = super().clean()
        for spec in self.specs:
            value = cleaned.get(self.field_name(spec))
            if isinstance(value, str) and contains_receipt(value):
                self.add_error(self.field_name(spec), RECEIPT_IN_TEXT)
            if isinstance(value, date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
                # Near the calendar's ends a time zone's offset runs off it (OverflowError).
                self.add_error(self.field_name(spec), _("Enter a date between the years 1900 and 2999."))
                continue
            if spec.is_deadline and value and self.deadline_of(spec, value) <= timezone.now():
                self.add_error(
                    self.field_name(spec),
                    _("This moment has already passed. If it is over, leave this empty and describe it in your tip."),
                )
        if not self.errors and not (any(answer.is_filled for answer in self.answers()) or self.uploads()):
            raise forms.ValidationError(_("Your tip is empty. Write what you know in at least one field."))
        return cleaned

    def deadline_of(self, spec: FormField, value) -> datetime:
        if isinstance(value, datetime):
            return value
        # A date alone: the day's start in the channel's time zone, so alerts come early, not late.
        return datetime.combine(value, time.min, tzinfo=zoneinfo.ZoneInfo(self.channel.time_zone))

    def deadline(self) -> datetime | None:
        for spec in self.specs:
            value = self.cleaned_data.get(self.field_name(spec))
            if spec.is_deadline and value:
                return self.deadline_of(spec, value)
        return None

    def answers(self) -> list[Answer]:
        return [
            Answer(
                key=spec.key,
                label=spec.label,
                kind=spec.kind,
                value=_json_value(self.cleaned_data.get(self.field_name(spec))),
            )
            for spec in self.specs
            if spec.kind != FieldKind.FILE
        ]

    def uploads(self) -> list:
        return [
            upload
            for spec in self.specs
            if spec.kind == FieldKind.FILE
            for upload in self.cleaned_data.get(self.field_name(spec)) or []
        ]


class LeaveOutField(forms.MultipleChoiceField):
    """The recipients a tipster may leave out; `always_read` more read the tip whatever is ticked."""

    always_read = 0


def leave_out_field(channel: Channel) -> LeaveOutField | None:
    """On a channel that allows it: the recipients by the name each chose for tipsters, to
    tick the ones who must not read the tip. Recipients a tipster could not tell apart are
    not listed (they always read it), and the form says how many there are."""
    choices = recipients_a_tipster_may_leave_out(channel)
    people = sorted(choices.listed, key=lambda user: (name_as_tipsters_read_it(user.display_name), user.pk))
    if len(people) + choices.always_read < 2:
        return None  # with one reader there is nobody to leave out
    help_text = _(
        "Tick anyone on the team who must not read your tip: it is locked so that they cannot open it, and the "
        "team's pages never show them that it exists. Whoever runs the server can still count the tips it holds. "
        "At least one must remain."
    )
    if not people:
        help_text = _(
            "Nobody on this channel's team has a name here that you could tell apart from another's, so nobody can be "
            "left out: everyone on the team will be able to read your tip."
        )
    elif choices.always_read:
        help_text = " ".join(
            [
                help_text,
                ngettext(
                    "%(count)d more recipient has no name here that you could tell apart from another: they cannot be "
                    "left out and will be able to read your tip.",
                    "%(count)d more recipients have no name here that you could tell apart from another: they cannot "
                    "be left out and will be able to read your tip.",
                    choices.always_read,
                )
                % {"count": choices.always_read},
            ]
        )
    field = LeaveOutField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Leave out of this tip"),
        help_text=help_text,
        choices=[(str(user.pk), user.display_name.strip()) for user in people],
    )
    field.always_read = choices.always_read
    return field


def insider_token_field(channel: Channel) -> forms.CharField:
    organisation = channel.insider_organisation
    assert organisation is not None, "a channel asks for members' tokens of its organisation only"
    required = channel.insider_tokens == InsiderTokens.REQUIRED
    names = {"organisation": organisation.name}
    label = _("Member's token of %(organisation)s") if required else _("Member's token of %(organisation)s (optional)")
    return forms.CharField(
        required=required,
        max_length=1000,
        label=label % names,
        help_text=_(
            "If you are a member of %(organisation)s, paste one token from tipline-token show. It proves you are a "
            "member without saying who you are; the team sees only that the tip holds a member's token. Never fetch or "
            "use tokens from a work device or network."
        )
        % names,
        error_messages={
            "required": _(
                "This channel takes tips only with a member's token of %(organisation)s. Paste one line starting with "
                "tipv1:"
            )
            % names
        },
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
    )


def text_field_with_a_stated_limit(field: forms.CharField, limit: int) -> forms.CharField:
    """The limit said in the help text, and no `maxlength` for the browser: it would cut a
    pasted text without a word. The server refuses what is longer, with the text kept."""
    field.widget.attrs.pop("maxlength", None)
    stated = ngettext("Up to %(count)s character.", "Up to %(count)s characters.", limit) % {
        "count": number_format(limit, force_grouping=True),
    }
    field.help_text = f"{field.help_text} {stated}".strip()
    return field


def _json_value(value):
    if value is None or isinstance(value, (str, bool, list)):
        return value
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    return str(value)  # dates and decimals keep their exact written form


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        max_length=100,
        label=gettext_lazy("Your receipt"),
        help_text=gettext_lazy("The 24 digits you were given when you sent your tip. Spaces and dashes do not matter."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "numeric"}),
    )
    # A message typed on the tip page after the session ended, carried back to it.
    pending_text = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)


class ReplyForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Your message"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    # A declared field: the form's metaclass moves it to base_fields, so self.files stays the uploads.
    files = MultipleFileField(label=gettext_lazy("Add files (optional)"), required=False)  # type: ignore[assignment]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].max_length = settings.MAX_ANSWER_CHARS
        self.fields["text"].validators.append(MaxLengthValidator(settings.MAX_ANSWER_CHARS))
        text_field_with_a_stated_limit(self.fields["text"], settings.MAX_ANSWER_CHARS)

    def clean(self):
        cleaned = super().clean()
        text = cleaned.get("text") or ""
        if contains_receipt(text):
            self.add_error("text", RECEIPT_IN_TEXT)
        if not self.errors and not text.strip() and not cleaned.get("files"):
            raise forms.ValidationError(_("Write a message or add a file before sending."))
        return cleaned
