"""A channel and its form as a document (YAML or JSON): the import/export format.

Validated with declared pydantic models; errors name the field and the problem,
e.g. `fields[2].kind: Input should be 'short_text', 'long_text', ...`.
"""

import json
import zoneinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal, cast

import yaml
from django.db import transaction
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from tipline.config import LANGUAGE_CODES
from tipline.core.models import Channel, FieldKind, FormField

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", min_length=1, max_length=64)]
InsiderTokens = Literal["off", "optional", "required"]
if TYPE_CHECKING:  # the languages are a table read at run time; pydantic checks against it
    LanguageCode = str
else:
    LanguageCode = Literal[LANGUAGE_CODES]
Kind = Literal["short_text", "long_text", "number", "date", "datetime", "select", "multi_select", "checkbox", "file"]
TEXT_KINDS = {FieldKind.SHORT_TEXT, FieldKind.LONG_TEXT}
CHOICE_KINDS = {FieldKind.SELECT, FieldKind.MULTI_SELECT}
DEADLINE_KINDS = {FieldKind.DATE, FieldKind.DATETIME}


class ChannelFormatError(Exception):
    """The document is not a valid channel; `problems` holds each one, in plain words, and the
    message lists them a line each."""

    def __init__(self, *problems: str):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Slug
    kind: Kind
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    help: str = ""
    required: bool = False
    max_length: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    choices: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = []
    deadline: bool = False

    @model_validator(mode="after")
    def fits_its_kind(self) -> "FieldSpec":
        if self.choices and self.kind not in CHOICE_KINDS:
            raise ValueError(f"choices are only for select and multi_select, not {self.kind}")
        if self.kind in CHOICE_KINDS and not self.choices:
            raise ValueError(f"a {self.kind} field needs at least one choice")
        if self.max_length is not None and self.kind not in TEXT_KINDS:
            raise ValueError("max_length is only for short_text and long_text")
        if (self.min_value is not None or self.max_value is not None) and self.kind != FieldKind.NUMBER:
            raise ValueError("min_value and max_value are only for number fields")
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValueError("min_value is larger than max_value")
        if self.deadline and self.kind not in DEADLINE_KINDS:
            raise ValueError("only a date or datetime field can be the deadline")
        return self


class FieldTranslation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    help: str | None = None
    choices: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] | None = None


class ChannelTranslation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = None
    description: str | None = None
    fields: dict[str, FieldTranslation] = {}


class ChannelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    description: str = ""
    listed: bool = True
    retention_days: Annotated[int, Field(ge=1, le=36500)] = 90
    keep_file_metadata: bool = False
    show_sender_to_tipster: bool = False
    tipsters_may_leave_out: bool = False
    offline_key: bool = False
    joining_needs_approval: bool = False
    time_zone: str = "UTC"
    acknowledge_within_days: Annotated[int, Field(ge=1, le=3650)] | None = 7
    feedback_within_days: Annotated[int, Field(ge=1, le=3650)] | None = 90
    escalate_after_minutes: Annotated[int, Field(ge=1, le=10080)] | None = 30
    insider_tokens: InsiderTokens = "off"
    insider_organisation: Slug | None = None
    language: LanguageCode = "en"
    translations: dict[LanguageCode, ChannelTranslation] = {}
    fields: Annotated[list[FieldSpec], Field(min_length=1, max_length=50)]

    @field_validator("insider_tokens", mode="before")
    @classmethod
    def yaml_off_is_off(cls, value):
        # YAML 1.1 reads a bare `off` as false: take it as meant.
        return "off" if value is False else value

    @model_validator(mode="after")
    def consistent(self) -> "ChannelSpec":
        if self.time_zone not in zoneinfo.available_timezones():
            raise ValueError(f"time_zone {self.time_zone!r} is not a known time zone such as Europe/Berlin")
        keys = [field.key for field in self.fields]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"field keys must be unique; repeated: {', '.join(duplicates)}")
        if sum(field.deadline for field in self.fields) > 1:
            raise ValueError("at most one field can be the deadline")
        by_key = {field.key: field for field in self.fields}
        for language, translation in self.translations.items():
            for key, text in translation.fields.items():
                if key not in by_key:
                    raise ValueError(f"translations.{language}.fields: there is no field {key!r}")
                if text.choices is not None and len(text.choices) != len(by_key[key].choices):
                    raise ValueError(
                        f"translations.{language}.fields.{key}.choices: give {len(by_key[key].choices)} choices, "
                        "one for each choice of the field, in the same order"
                    )
        if self.offline_key and self.tipsters_may_leave_out:
            raise ValueError(
                "offline_key and tipsters_may_leave_out cannot both be on: an offline-key channel's tips are sealed to "
                "its one key"
            )
        if self.insider_tokens != "off" and not self.insider_organisation:
            raise ValueError("insider_tokens needs insider_organisation: whose members' tokens this channel takes")
        return self


def parse_document(text: str, filename: str = "") -> ChannelSpec:
    """Read YAML (or JSON, which YAML also reads) into a validated ChannelSpec."""
    try:
        data = json.loads(text) if filename.endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ChannelFormatError(
            f"The file is not valid {'JSON' if filename.endswith('.json') else 'YAML'}: {error}"
        ) from None
    if not isinstance(data, dict):
        raise ChannelFormatError("The file must describe one channel: a mapping with slug, name and fields.")
    try:
        return ChannelSpec.model_validate(data)
    except ValidationError as error:
        raise ChannelFormatError(*_describe(error)) from None


# Pydantic's wording for the problems people make most, said the way a person would.
PLAIN_WORDS = {
    "missing": "is missing",
    "extra_forbidden": "is not a setting a channel has (check its spelling)",
    "string_pattern_mismatch": "may hold only lower-case letters, digits and dashes, and starts with a letter or digit",
    "string_too_short": "is empty",
}


def _describe(error: ValidationError) -> list[str]:
    lines = []
    for location, message in describe_problems(error):
        place = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location).lstrip(".")
        lines.append(f"{place or 'channel'}: {message}")
    return lines


def describe_problems(error: ValidationError) -> list[tuple[tuple, str]]:
    """Each problem's place in the document and what is wrong, in plain words."""
    problems = []
    for problem in error.errors():
        if problem["type"] == "literal_error":
            message = "must be one of: " + problem["ctx"]["expected"].replace("'", "")
        else:
            message = PLAIN_WORDS.get(problem["type"], problem["msg"].removeprefix("Value error, "))
        problems.append((tuple(problem["loc"]), message))
    return problems


@transaction.atomic
def import_channel(spec: ChannelSpec) -> tuple[Channel, bool]:
    """Create the channel, or update the one with this slug; its form is replaced."""
    organisation = _insider_organisation(spec.insider_organisation)
    channel, created = Channel.objects.update_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "description": spec.description,
            "is_listed": spec.listed,
            "retention_days": spec.retention_days,
            "keep_file_metadata": spec.keep_file_metadata,
            "show_sender_to_tipster": spec.show_sender_to_tipster,
            "tipsters_may_leave_out": spec.tipsters_may_leave_out,
            "offline_key": spec.offline_key,
            "joining_needs_approval": spec.joining_needs_approval,
            "time_zone": spec.time_zone,
            "acknowledge_within_days": spec.acknowledge_within_days,
            "feedback_within_days": spec.feedback_within_days,
            "escalate_after_minutes": spec.escalate_after_minutes,
            "insider_tokens": spec.insider_tokens,
            "language": spec.language,
            "translations": stored_translations(spec),
            "insider_organisation": organisation,
        },
    )
    channel.fields.all().delete()
    FormField.objects.bulk_create(form_field(field, channel, position) for position, field in enumerate(spec.fields))
    return channel, created


def form_field(field: FieldSpec, channel: Channel, position: int = 0) -> FormField:
    """A field of the document as the row that stores it (unsaved: the form editor's preview
    builds from it too)."""
    return FormField(
        channel=channel,
        position=position,
        key=field.key,
        kind=field.kind,
        label=field.label,
        help_text=field.help,
        required=field.required,
        max_length=field.max_length,
        min_value=field.min_value,
        max_value=field.max_value,
        choices=field.choices,
        is_deadline=field.deadline,
    )


def stored_translations(spec: ChannelSpec) -> dict:
    """The document's translations as the channel keeps them."""
    return {
        language: translation.model_dump(exclude_none=True, exclude_defaults=True)
        for language, translation in spec.translations.items()
    }


def _insider_organisation(slug: str | None):
    if slug is None:
        return None
    # The organisation model reached through the channel's own field: the domain does not
    # import the insider app that owns it.
    Organisation = Channel._meta.get_field("insider_organisation").related_model
    organisation = Organisation._default_manager.filter(slug=slug).first()
    if organisation is None:
        raise ChannelFormatError(
            f"insider_organisation: no organisation {slug!r}; create it first (tipline insiders create)"
        )
    return organisation


def export_channel(channel: Channel, as_json: bool = False) -> str:
    spec = export_spec(channel)
    data = spec.model_dump(mode="json", exclude_defaults=True, include=None)
    data["fields"] = [field.model_dump(mode="json", exclude_defaults=True) for field in spec.fields]
    if as_json:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def export_spec(channel: Channel) -> ChannelSpec:
    """A channel as the document that would make it again."""
    return ChannelSpec(
        slug=channel.slug,
        name=channel.name,
        description=channel.description,
        listed=channel.is_listed,
        retention_days=channel.retention_days,
        keep_file_metadata=channel.keep_file_metadata,
        show_sender_to_tipster=channel.show_sender_to_tipster,
        tipsters_may_leave_out=channel.tipsters_may_leave_out,
        offline_key=channel.offline_key,
        joining_needs_approval=channel.joining_needs_approval,
        time_zone=channel.time_zone,
        acknowledge_within_days=channel.acknowledge_within_days,
        feedback_within_days=channel.feedback_within_days,
        escalate_after_minutes=channel.escalate_after_minutes,
        insider_tokens=cast(InsiderTokens, channel.insider_tokens),  # the model's choices are these
        language=channel.language,
        translations=channel.translations,
        insider_organisation=channel.insider_organisation.slug if channel.insider_organisation else None,
        fields=[
            FieldSpec(
                key=field.key,
                kind=cast(Kind, field.kind),
                label=field.label,
                help=field.help_text,
                required=field.required,
                max_length=field.max_length,
                min_value=field.min_value,
                max_value=field.max_value,
                choices=field.choices,
                deadline=field.is_deadline,
            )
            for field in channel.fields.all()
        ],
    )
