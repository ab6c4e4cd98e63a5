"""Languages: every tipster page string translated into Spanish and Arabic (a missing or
fuzzy one fails here), Arabic right to left, the language kept in the address only, and
channels in the tipster's language."""

import html
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tipline.core.channel_schema import import_channel, parse_document
from tipline.core.models import Tip
from tipline.intake.tests.helpers import receipt_in

PACKAGE = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code, _ in settings.LANGUAGES if code != "en"]


@pytest.mark.slow
def test_every_marked_string_is_translated_and_none_is_fuzzy(tmp_path):
    # makemessages walks the working directory and writes to the `locale` beside it: run it in
    # a copy of the package, or it would write into the source tree and check a stale copy.
    package = tmp_path / "tipline"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__", "static", "*.mo"))
    locale = package / "locale"
    gather = (
        "import django; django.setup(); from django.core.management import call_command; "
        "from tipline.web.languages import MAKEMESSAGES_ARGUMENTS; call_command(*MAKEMESSAGES_ARGUMENTS, verbosity=0)"
    )
    environment = {
        "DJANGO_SETTINGS_MODULE": "tipline.settings",
        "TIPLINE_LOCALE_DIR": str(locale),
        "PATH": "/usr/bin:/bin",
        "TIPLINE_DATA_DIR": str(tmp_path / "data"),
    }
    subprocess.run([sys.executable, "-c", gather], cwd=package, env=environment, check=True, capture_output=True)
    for code in TRANSLATED:
        catalogue = locale / code / "LC_MESSAGES" / "django.po"
        statistics = subprocess.run(
            ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalogue)],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        assert "fuzzy" not in statistics and "untranslated" not in statistics, (
            f"{code}: {statistics.strip()} — run `make messages` and translate what is new"
        )


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_committed_compiled_catalogues_match_their_sources(code, tmp_path):
    source = PACKAGE / "locale" / code / "LC_MESSAGES" / "django.po"
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(source)], check=True, capture_output=True)
    assert compiled.read_bytes() == source.with_suffix(".mo").read_bytes(), (
        "run `make messages` to compile the catalogue"
    )


def test_pages_come_in_the_addressed_language_and_arabic_reads_right_to_left(demo_channels):
    english, spanish, arabic = (Client().get(path).content.decode() for path in ("/", "/es/", "/ar/"))
    assert '<html lang="en" dir="ltr">' in english and "Send a tip" in english
    assert '<html lang="es" dir="ltr">' in spanish and "Enviar un aviso" in spanish
    assert '<html lang="ar" dir="rtl">' in arabic and "إرسال بلاغ" in arabic
    assert 'href="/ar/c/general/"' in arabic  # links stay in the chosen language


def test_the_language_is_kept_in_the_address_and_never_in_a_cookie(demo_channels):
    response = Client().get("/es/c/general/", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.cookies.get(settings.LANGUAGE_COOKIE_NAME) is None
    page = html.unescape(response.content.decode())
    assert "Antes de enviar" in page
    assert 'href="/ar/c/general/"' in page and 'href="/c/general/"' in page  # the switcher: this page, other languages
    english = Client().get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Send a tip" in english  # no guessing from the browser: the address decides


def test_a_tip_sent_in_spanish_gets_a_spanish_receipt_page_without_the_switcher(demo_channels, recipient_keys):
    from tipline.forms.tipster import new_form_token

    response = Client().post("/es/c/general/", {"form_token": new_form_token(), "answer-tip": "Un aviso en español"})
    page = html.unescape(response.content.decode())
    assert response.status_code == 200 and "Recibimos su aviso" in page
    assert receipt_in(response) and 'class="languages"' not in page  # a link away would lose the receipt
    checked = Client().post("/es/check/", {"receipt": "1234"})
    assert "Eso no es un recibo. Un recibo tiene 24 dígitos; este tiene 4." in html.unescape(checked.content.decode())


def test_a_channel_speaks_the_tipsters_language_and_stores_answers_as_written(db, recipient_keys):
    channel, _ = import_channel(
        parse_document(
            json.dumps(
                {
                    "slug": "prisons",
                    "name": "Prisons",
                    "description": "About prisons.",
                    "fields": [
                        {"key": "what", "kind": "long_text", "label": "What happened?", "required": True},
                        {"key": "where", "kind": "select", "label": "Where?", "choices": ["North wing", "South wing"]},
                    ],
                    "translations": {
                        "ar": {
                            "name": "السجون",
                            "description": "عن السجون.",
                            "fields": {
                                "what": {"label": "ماذا حدث؟"},
                                "where": {"label": "أين؟", "choices": ["الجناح الشمالي", "الجناح الجنوبي"]},
                            },
                        }
                    },
                }
            ),
            "prisons.json",
        )
    )
    channel.recipients.add(recipient_keys[0])
    page = Client().get("/ar/c/prisons/").content.decode()
    assert (
        "<h1>السجون</h1>" in page
        and "ماذا حدث؟" in page
        and '<option value="South wing">الجناح الجنوبي</option>' in page
    )
    assert "<h1>Prisons</h1>" in Client().get("/es/c/prisons/").content.decode()  # no Spanish text: as written

    from tipline.core.conversation import open_tip_for_recipient, read_answers
    from tipline.forms.tipster import new_form_token

    Client().post(
        "/ar/c/prisons/", {"form_token": new_form_token(), "answer-what": "شيء", "answer-where": "South wing"}
    )
    tip = Tip.objects.get()
    answers = read_answers(tip, open_tip_for_recipient(tip, *recipient_keys))
    assert [answer.value for answer in answers] == ["شيء", "South wing"]


def test_translations_of_a_field_that_does_not_exist_are_refused_by_name():
    from tipline.core.channel_schema import ChannelFormatError

    with pytest.raises(ChannelFormatError, match="translations.es.fields: there is no field 'who'"):
        parse_document(
            json.dumps(
                {
                    "slug": "x",
                    "name": "X",
                    "fields": [{"key": "what", "kind": "long_text", "label": "What?"}],
                    "translations": {"es": {"fields": {"who": {"label": "¿Quién?"}}}},
                }
            ),
            "x.json",
        )
