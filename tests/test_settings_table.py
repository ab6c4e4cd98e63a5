"""One table of settings (tipline.base.settings_table) drives their parsing, `tipline config show`
and the configuration file's unknown keys; docs/configuration.md lists exactly its rows."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tipline import config
from tipline.base.settings_table import FILE_KEYS, SETTINGS, TABLE, parse

CONFIGURATION_DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def documented_settings() -> set[str]:
    """The variables named in the first column of the Settings table of docs/configuration.md."""
    section = CONFIGURATION_DOC.read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`TIPLINE_([A-Z0-9_]+)`", row.split(" | ")[0])}


def test_the_documentation_lists_every_setting_of_the_table_and_no_other():
    documented = documented_settings()

    assert sorted(set(SETTINGS) - documented) == []  # in the table, missing from the docs
    assert sorted(documented - set(SETTINGS)) == []  # documented, but no setting reads it


def test_every_setting_the_file_may_hold_is_read_and_so_shown_by_config_show():
    from django.conf import settings

    assert settings.configured
    assert {name.lower() for name in config.SOURCES} == FILE_KEYS


def test_each_setting_has_one_line_of_documentation_and_sane_bounds():
    for setting in TABLE:
        assert setting.doc and "\n" not in setting.doc, setting.name
        assert setting.kind in {"text", "bool", "int", "list", "hours", "networks"}, setting.name
        if setting.minimum is not None and setting.maximum is not None:
            assert setting.minimum <= setting.maximum, setting.name
    assert len(SETTINGS) == len(TABLE)  # one row per name


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        (
            "DEADLINE_ALERT_HOURS",
            "abc",
            "TIPLINE_DEADLINE_ALERT_HOURS: 'abc' is not a whole number of hours (e.g. 24,2).",
        ),
        ("DEADLINE_ALERT_HOURS", "-3", "TIPLINE_DEADLINE_ALERT_HOURS: -3 hours is too few; each must be at least 1."),
        ("DEADLINE_ALERT_HOURS", "0", "TIPLINE_DEADLINE_ALERT_HOURS: 0 hours is too few; each must be at least 1."),
        (
            "DUTY_REMINDER_HOURS",
            "abc",
            "TIPLINE_DUTY_REMINDER_HOURS: 'abc' is not a whole number of hours (e.g. 24,2).",
        ),
        ("DUTY_REMINDER_HOURS", "-3", "TIPLINE_DUTY_REMINDER_HOURS: -3 hours is too few; each must be at least 1."),
        ("MAX_FILE_BYTES", "0", "TIPLINE_MAX_FILE_BYTES=0: must be at least 1."),
        ("MAX_FILE_BYTES", "lots", "TIPLINE_MAX_FILE_BYTES='lots': expected a whole number."),
        ("RECEIPT_SHOWN_AGAIN_SECONDS", "3601", "TIPLINE_RECEIPT_SHOWN_AGAIN_SECONDS=3601: must be at most 3600."),
        ("DEBUG", "maybe", "TIPLINE_DEBUG='maybe': use one of true/false, yes/no, on/off, 1/0."),
    ],
)
def test_a_value_out_of_its_kind_or_bounds_is_refused_in_one_line(name, raw, expected):
    with pytest.raises(ImproperlyConfigured) as refused:
        parse(SETTINGS[name], raw, from_environment=True)

    assert str(refused.value) == expected


def test_hours_are_whole_largest_first_and_each_once():
    assert parse(SETTINGS["DEADLINE_ALERT_HOURS"], "2, 24,2", from_environment=True) == [24, 2]
    assert parse(SETTINGS["DUTY_REMINDER_HOURS"], [24, 72], from_environment=False) == [72, 24]


def test_a_secret_of_the_table_is_a_secret_to_config_show_and_backups():
    assert "S3_SECRET_ACCESS_KEY" in config.SECRET_SETTINGS
    assert config.SECRET_SETTINGS == {setting.name for setting in TABLE if setting.secret}
