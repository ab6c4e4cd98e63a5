"""The channel form editor: a channel's fields edited field by field on an admin page that
needs no JavaScript. The page posts the whole form each time; a button says what to do
with it (move a field, remove it, add one, preview, save), so nothing is saved until Save.
Saving builds the same channel document the YAML page and `tipline channel import` take,
validates it with the same schema, puts each problem beside the field it concerns, and saves
through the same audited service."""

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.forms import formset_factory
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import ValidationError

from tipline.casework import admin_services
from tipline.core.channel_schema import ChannelSpec, export_spec, form_field, stored_translations
from tipline.core.models import Channel, FieldKind

ROW_PREFIX = "field"
LIST_FIELDS = ("choices",)


class FieldRow(forms.Form):
    key = forms.CharField(
        max_length=64,
        label=gettext_lazy("Key"),
        help_text=gettext_lazy("lower-case letters, digits and dashes; never change it once tips have come in"),
    )
    kind = forms.ChoiceField(choices=FieldKind.choices, label=gettext_lazy("Kind"))
    label = forms.CharField(max_length=200, label=gettext_lazy("Label"))
    help = forms.CharField(
        required=False, max_length=2000, label=gettext_lazy("Help text"), widget=forms.Textarea(attrs={"rows": 2})
    )
    required = forms.BooleanField(required=False, label=gettext_lazy("Required"))
    choices = forms.CharField(
        required=False,
        max_length=10_000,
        label=gettext_lazy("Choices, one per line"),
        help_text=gettext_lazy("for select and multi-select"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    max_length = forms.IntegerField(
        required=False, min_value=1, max_value=1_000_000, label=gettext_lazy("Longest answer, in characters")
    )
    deadline = forms.BooleanField(required=False, label=gettext_lazy("This date is the tip's deadline"))

    MAIN = ("key", "kind", "label", "help", "required", "choices", "max_length", "deadline")

    def main_fields(self):
        return [self[name] for name in self.MAIN]

    def translation_fields(self):
        return [self[name] for name in self.fields if name not in self.MAIN]

    def __init__(self, *args, other_languages=(), **kwargs):
        super().__init__(*args, **kwargs)
        for code, name in other_languages:
            self.fields[f"label_{code}"] = forms.CharField(
                required=False, max_length=200, label=_("Label in %(language)s") % {"language": name}
            )
            self.fields[f"help_{code}"] = forms.CharField(
                required=False,
                max_length=2000,
                label=_("Help text in %(language)s") % {"language": name},
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"choices_{code}"] = forms.CharField(
                required=False,
                max_length=10_000,
                label=_("Choices in %(language)s, one per line, in the same order") % {"language": name},
                widget=forms.Textarea(attrs={"rows": 3}),
            )


FieldRows = formset_factory(FieldRow, extra=0, max_num=50, absolute_max=50)


@dataclass
class Editor:
    channel: Channel
    rows: object  # the FieldRows formset shown
    problems: list[str]
    preview: list | None = None


def other_languages(channel: Channel) -> list[tuple[str, str]]:
    return [(code, name) for code, name in settings.LANGUAGES if code != channel.language]


def rows_of(channel: Channel) -> list[dict]:
    """The channel's fields as the editor's rows, translations beside each."""
    spec = export_spec(channel)
    rows = []
    for field in spec.fields:
        row = {
            "key": field.key,
            "kind": field.kind,
            "label": field.label,
            "help": field.help,
            "required": field.required,
            "choices": "\n".join(field.choices),
            "max_length": field.max_length,
            "deadline": field.deadline,
        }
        for code, translation in spec.translations.items():
            text = translation.fields.get(field.key)
            if text is not None:
                row |= {
                    f"label_{code}": text.label or "",
                    f"help_{code}": text.help or "",
                    f"choices_{code}": "\n".join(text.choices or []),
                }
        rows.append(row)
    return rows


def blank_editor(channel: Channel) -> Editor:
    return Editor(channel, _formset(channel, initial=rows_of(channel)), [])


def handle(channel: Channel, data, action: str, actor: str) -> tuple[Editor, bool]:
    """Apply one button to the posted form; returns the editor to show and whether it saved."""
    posted = _formset(channel, data=data)
    rows = [_raw(form) for form in posted.forms]
    verb, _sep, number = action.partition("-")
    index = int(number) if number.isdigit() else -1
    if verb in ("up", "down", "remove") and 0 <= index < len(rows):
        if verb == "remove" and len(rows) > 1:
            rows.pop(index)
        elif verb == "up" and index > 0:
            rows[index - 1], rows[index] = rows[index], rows[index - 1]
        elif verb == "down" and index < len(rows) - 1:
            rows[index + 1], rows[index] = rows[index], rows[index + 1]
        return Editor(channel, _formset(channel, initial=rows), []), False
    if verb == "add":
        kind = data.get("new_kind") if data.get("new_kind") in FieldKind.values else FieldKind.SHORT_TEXT
        rows.append({"key": f"field-{len(rows) + 1}", "kind": kind, "label": _("New question"), "required": False})
        return Editor(channel, _formset(channel, initial=rows), []), False
    if not posted.is_valid():
        return Editor(channel, posted, [_("Some fields need a correction; each is marked below.")]), False
    spec, problems = _spec_from(channel, posted)
    if spec is None:
        return Editor(channel, posted, problems), False
    if verb == "save":
        admin_services.save_channel(actor, spec, None)
        return Editor(channel, posted, []), True
    return Editor(channel, posted, [], preview=preview_fields(channel, spec)), False


def preview_fields(channel: Channel, spec: ChannelSpec) -> list:
    """The tipster's form as it would be, built by the tipster page's own field builder from
    unsaved copies of the channel and its fields."""
    from tipline.forms.tipster import TipForm, build_field

    draft = Channel(
        slug=channel.slug,
        name=spec.name,
        time_zone=spec.time_zone,
        language=spec.language,
        translations=stored_translations(spec),
    )
    preview = forms.Form(auto_id="preview_%s")
    for field in spec.fields:
        row = form_field(field, draft)
        preview.fields[TipForm.field_name(row)] = build_field(row)
    return list(preview)


def _formset(channel: Channel, **options):
    return FieldRows(prefix=ROW_PREFIX, form_kwargs={"other_languages": other_languages(channel)}, **options)


def _raw(form) -> dict:
    return {name: form[name].value() for name in form.fields}


def _spec_from(channel: Channel, posted) -> tuple[ChannelSpec | None, list[str]]:
    saved = export_spec(channel)
    document = saved.model_dump()
    # A number field's bounds are not edited here: each field keeps the ones it has.
    bounds = {field.key: (field.min_value, field.max_value) for field in saved.fields}
    rows = [form.cleaned_data for form in posted.forms]
    document["fields"] = [_field_document(row, *bounds.get(row["key"], (None, None))) for row in rows]
    translations = document.get("translations") or {}
    for code, _name in other_languages(channel):
        fields = {}
        for row in rows:
            text = {
                "label": row.get(f"label_{code}", "").strip() or None,
                "help": row.get(f"help_{code}", "").strip() or None,
                "choices": _lines(row.get(f"choices_{code}", "")) or None,
            }
            if any(value is not None for value in text.values()):
                fields[row["key"].strip()] = text
        translations.setdefault(code, {})["fields"] = fields
    document["translations"] = {code: text for code, text in translations.items() if any(text.values())}
    try:
        return ChannelSpec.model_validate(document), []
    except ValidationError as error:
        return None, _place_problems(posted, error)


def _field_document(row: dict, min_value, max_value) -> dict:
    return {
        "key": row["key"].strip(),
        "kind": row["kind"],
        "label": row["label"].strip(),
        "help": row["help"].strip(),
        "required": row["required"],
        "choices": _lines(row["choices"]),
        "max_length": row["max_length"],
        "deadline": row["deadline"],
        "min_value": min_value,
        "max_value": max_value,
    }


def _place_problems(posted, error: ValidationError) -> list[str]:
    """Each problem beside the field it concerns; the rest above the form."""
    from tipline.core.channel_schema import describe_problems

    unplaced = []
    for location, message in describe_problems(error):
        if (
            len(location) >= 2
            and location[0] == "fields"
            and isinstance(location[1], int)
            and location[1] < len(posted.forms)
        ):
            form = posted.forms[location[1]]
            name = location[2] if len(location) > 2 and location[2] in form.fields else None
            form.add_error(name, message)
        else:
            unplaced.append(message)
    return unplaced or [_("Some fields need a correction; each is marked below.")]


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
