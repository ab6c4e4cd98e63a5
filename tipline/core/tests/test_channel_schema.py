"""Channels as YAML/JSON documents: round trips, and errors that name the field and the problem."""

import json

import pytest
import yaml

from tipline.core.channel_schema import (
    ChannelFormatError,
    export_channel,
    import_channel,
    parse_document,
)
from tipline.core.models import Channel
from tipline.operations.demo import DEMO_CHANNEL_FILES

pytestmark = pytest.mark.django_db

MINIMAL = {"slug": "leaks", "name": "Leaks", "fields": [{"key": "what", "kind": "long_text", "label": "What?"}]}


def document(**changes) -> str:
    return yaml.safe_dump(MINIMAL | changes)


def field(**changes) -> dict:
    return {"key": "what", "kind": "long_text", "label": "What?"} | changes


@pytest.mark.parametrize("path", DEMO_CHANNEL_FILES, ids=lambda path: path.name)
def test_export_then_import_gives_the_same_channel_in_yaml_and_json(path):
    channel, created = import_channel(parse_document(path.read_text(), path.name))
    exported_yaml = export_channel(channel)
    exported_json = export_channel(channel, as_json=True)

    assert created
    assert parse_document(exported_yaml, "x.yaml") == parse_document(path.read_text(), path.name)
    assert parse_document(exported_json, "x.json") == parse_document(path.read_text(), path.name)
    assert json.loads(exported_json)["fields"][0]["key"] == channel.fields.first().key


def test_importing_again_updates_the_channel_and_replaces_its_form():
    import_channel(parse_document(document()))

    channel, created = import_channel(
        parse_document(
            document(name="Leaks and more", fields=[field(), field(key="where", kind="short_text", label="Where?")])
        )
    )

    assert not created and channel.name == "Leaks and more"
    assert list(Channel.objects.get(slug="leaks").fields.values_list("key", flat=True)) == ["what", "where"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (document(fields=[field(kind="dropdown")]), "fields[0].kind: must be one of: short_text, long_text"),
        (document(fields=[field(deadline=True)]), "fields[0]: only a date or datetime field can be the deadline"),
        (document(fields=[field(kind="select")]), "fields[0]: a select field needs at least one choice"),
        (document(fields=[field(), field()]), "channel: field keys must be unique; repeated: what"),
        (document(time_zone="Mars/Olympus"), "time_zone 'Mars/Olympus' is not a known time zone"),
        (document(slug="Has Spaces"), "slug: may hold only lower-case letters, digits and dashes"),
        (document(fields=[]), "fields: List should have at least 1 item"),
        (document(colour="blue"), "colour: is not a setting a channel has"),
        (
            document(fields=[field(kind="number", min_value=5, max_value=1)]),
            "fields[0]: min_value is larger than max_value",
        ),
        (
            document(
                fields=[field(key="a", kind="date", deadline=True), field(key="b", kind="datetime", deadline=True)]
            ),
            "channel: at most one field can be the deadline",
        ),
        ("slug: [unclosed", "The file is not valid YAML"),
        ("- just\n- a list\n", "The file must describe one channel"),
    ],
)
def test_a_bad_document_is_refused_with_the_field_and_the_problem(text, expected):
    with pytest.raises(ChannelFormatError) as refusal:
        parse_document(text, "channel.yaml")

    assert expected in str(refusal.value)


def test_json_is_read_as_json():
    with pytest.raises(ChannelFormatError, match="The file is not valid JSON"):
        parse_document("{'single': 'quotes'}", "channel.json")
