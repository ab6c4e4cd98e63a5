"""Settings as a real deployment gets them: safe defaults with no TIPLINE_* variable set."""

import json
import subprocess
import sys

import pytest

from tests.system import clean_environment

# Never touches the database under test (clean_environment gives each command SQLite): once is enough.
pytestmark = [pytest.mark.system, pytest.mark.sqlite_only]

READ_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
from tipline.base.crypto_policy import kdf_policy
from tipline.crypto.kdf import PRODUCTION
print(json.dumps({"KDF_IS_PRODUCTION": kdf_policy() is PRODUCTION} | {name: getattr(settings, name) for name in [
    "DEBUG", "INSECURE_FAST_KDF", "HTTPS", "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE"]}))
"""


def settings_with(tmp_path, **overrides) -> dict:
    environment = clean_environment(tmp_path / "data", **overrides)
    environment["DJANGO_SETTINGS_MODULE"] = "tipline.settings"
    result = subprocess.run(
        [sys.executable, "-c", READ_SETTINGS], env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_production_defaults_are_safe(tmp_path):
    values = settings_with(tmp_path)

    assert values["DEBUG"] is False
    assert values["INSECURE_FAST_KDF"] is False
    assert values["KDF_IS_PRODUCTION"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] and values["CSRF_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Strict"


def test_the_test_suite_itself_runs_with_the_fast_kdf_switch():
    from tipline.base.crypto_policy import kdf_policy
    from tipline.crypto.kdf import INSECURE_FAST

    assert kdf_policy() is INSECURE_FAST


def test_https_mode_pins_cookies_to_the_host_with_the_host_prefix(tmp_path):
    values = settings_with(tmp_path, HTTPS="on")

    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]


def test_a_receipt_is_shown_again_for_ten_minutes_and_never_beyond_the_hour_its_key_lasts(tmp_path):
    read = READ_SETTINGS.replace('"DEBUG",', '"RECEIPT_SHOWN_AGAIN_SECONDS",')
    environment = clean_environment(tmp_path / "data") | {"DJANGO_SETTINGS_MODULE": "tipline.settings"}
    default = subprocess.run([sys.executable, "-c", read], env=environment, capture_output=True, text=True, check=True)
    too_long = subprocess.run(
        [sys.executable, "-c", read],
        env=environment | {"TIPLINE_RECEIPT_SHOWN_AGAIN_SECONDS": "7200"},
        capture_output=True,
        text=True,
    )

    assert json.loads(default.stdout)["RECEIPT_SHOWN_AGAIN_SECONDS"] == 600
    assert too_long.returncode != 0
    assert "TIPLINE_RECEIPT_SHOWN_AGAIN_SECONDS=7200: must be at most 3600." in too_long.stderr
