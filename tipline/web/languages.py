"""The language switcher: links to this same page in every language, made on the server so
that it works without JavaScript and keeps nothing about the choice but the address."""

from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language

from tipline.config import LANGUAGES


def language_links(request) -> dict:
    # Only on pages reached by GET: following a link from a page that answers a form would
    # lose what it shows (a receipt is shown once) or what was typed.
    if request.method != "GET":
        return {"language_links": []}
    current = get_language()
    path = request.get_full_path()
    return {
        "language_links": [
            {"code": code, "name": name, "url": translate_url(path, code), "current": code == current}
            for code, name in settings.LANGUAGES
        ]
    }


# How translators (and the tests) gather the strings to translate: from the tipline package
# directory, for every language but English, skipping tests.
MAKEMESSAGES_ARGUMENTS = [
    "makemessages",
    "--no-location",
    "--no-obsolete",
    "--ignore",
    "tests/*",
    "--ignore",
    "*/tests/*",
    "--ignore",
    "testing/*",
    *(argument for code, _name in LANGUAGES if code != "en" for argument in ("-l", code)),
]
